import { exposeGraphOutputs } from '../../engine/seg/expose-outputs.js';
import { isGridBackbone, type GridBackbone } from '../../models/backbone.js';
import type { ModelCard } from '../../models/card.js';
import { openBackbone, type OpenBackboneOptions } from '../../models/open.js';
import { MedprobeError } from '../../util/errors.js';

/**
 * Opens an ONNX backbone with intermediate tensors exposed as extra outputs, so `runGrid`
 * can return e.g. a CNN's stride-4/8/16 stages next to its final map (U-Net skips).
 * ViTs don't need this: their last blocks are reachable as `block:-k` maps.
 */
export async function openTappedBackbone(
  modelPath: string,
  card: Omit<Partial<ModelCard>, 'file'>,
  taps: readonly string[],
  cacheDir: string,
  opts: OpenBackboneOptions = {},
): Promise<GridBackbone> {
  const edited = taps.length ? await exposeGraphOutputs(modelPath, taps, cacheDir) : modelPath;
  const b = await openBackbone({ onnx: edited, card }, { cacheDir, ...opts });
  if (!isGridBackbone(b)) {
    await b.dispose();
    throw new MedprobeError(`backbone ${modelPath} cannot return spatial feature maps`, { file: modelPath, hint: 'segmentation needs an ONNX backbone (runGrid)' });
  }
  return b;
}
