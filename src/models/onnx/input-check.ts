import type ort from 'onnxruntime-node';
import { MedprobeError } from '../../util/errors.js';
import type { ModelCard } from '../card.js';

/** What the graph's image input allows, read from ORT's input metadata. */
export interface ImageInputInfo {
  /** Batch size when the export fixed it, else null (dynamic). */
  fixedBatch: number | null;
  /** Fixed H and W, or null where the axis is dynamic. */
  height: number | null;
  width: number | null;
}

const REEXPORT_HINT =
  "re-export with dynamic height/width axes, e.g. torch.onnx.export(..., dynamic_axes={'pixel_values': {0: 'batch', 2: 'height', 3: 'width'}}) " +
  'or optimum-cli export onnx (dynamic by default); for ViTs the position-embedding interpolation must be traced into the export (interpolate_pos_encoding) — see docs/models.md';

/**
 * Checks that the card's input exists and is an image tensor that agrees with the card's
 * layout: float, rank 4, 3 channels on the side the layout says. Every contradiction is a
 * one-line MedprobeError naming the file and the card field to change.
 */
export function checkImageInput(card: ModelCard, session: ort.InferenceSession, modelPath: string): ImageInputInfo {
  const name = card.input.name;
  const meta = session.inputMetadata.find((m) => m.name === name);
  if (!meta) {
    throw new MedprobeError(`model card ${card.name}: input '${name}' is not an input of ${modelPath}`, {
      file: modelPath,
      hint: `set input.name to one of: ${session.inputNames.join(', ')}`,
    });
  }
  const others = session.inputNames.filter((n) => n !== name);
  if (others.length > 0) {
    throw new MedprobeError(`${modelPath} has inputs besides '${name}' (${others.join(', ')}); medprobe feeds only the image`, {
      file: modelPath,
      hint: 'export the vision encoder alone (e.g. optimum-cli export onnx --task feature-extraction) so pixel values are the only input',
    });
  }
  if (!meta.isTensor || meta.type !== 'float32') {
    throw new MedprobeError(`input '${name}' of ${modelPath} is ${meta.isTensor ? meta.type : 'not a tensor'}, not a float32 image tensor`, {
      file: modelPath,
      hint: 'medprobe feeds float32 pixels; export the model with a float32 image input',
    });
  }
  const shape = meta.shape;
  if (shape.length !== 4) {
    throw new MedprobeError(`input '${name}' of ${modelPath} has rank ${shape.length} ([${shape.join(',')}]), not an image tensor of rank 4`, {
      file: modelPath,
      hint: 'medprobe needs an image input [N,3,H,W] (NCHW) or [N,H,W,3] (NHWC)',
    });
  }
  const fixed = (d: number | string): number | null => (typeof d === 'number' && d > 0 ? d : null);
  const layout = card.input.layout;
  const [c, h, w] = layout === 'NCHW' ? [shape[1], shape[2], shape[3]] : [shape[3], shape[1], shape[2]];
  const channels = fixed(c);
  if (channels !== null && channels !== 3) {
    const other = layout === 'NCHW' ? fixed(shape[3]) : fixed(shape[1]);
    const flip = layout === 'NCHW' ? 'NHWC' : 'NCHW';
    throw new MedprobeError(`model card ${card.name} says layout ${layout} but input '${name}' of ${modelPath} is [${shape.join(',')}] (${channels} channels where ${layout} puts them)`, {
      file: modelPath,
      hint: other === 3 ? `set input.layout: ${flip} in the card` : 'medprobe needs a 3-channel image input',
    });
  }
  const height = fixed(h);
  const width = fixed(w);
  if (height !== null && width !== null && height !== width) {
    throw new MedprobeError(`input '${name}' of ${modelPath} is fixed at ${height}x${width}; medprobe feeds square images`, {
      file: modelPath,
      hint: REEXPORT_HINT,
    });
  }
  const fixedSide = height ?? width;
  if (fixedSide !== null && fixedSide !== card.input.size) {
    throw new MedprobeError(`model card ${card.name} says input.size ${card.input.size} but ${modelPath} is fixed at ${fixedSide}x${fixedSide}`, {
      file: modelPath,
      hint: `set input.size: ${fixedSide} in the card`,
    });
  }
  return { fixedBatch: fixed(shape[0]), height, width };
}

/** The side length to run at: the card's native size unless overridden, checked against the export and patch size. */
export function resolveInputSize(card: ModelCard, input: ImageInputInfo, requested: number | undefined, modelPath: string): number {
  const size = requested ?? card.input.size;
  if (!Number.isInteger(size) || size <= 0) throw new MedprobeError(`input size must be a positive integer, got ${size}`, { hint: 'pass e.g. inputSize: 224' });
  const fixedSide = input.height ?? input.width;
  if (fixedSide !== null && fixedSide !== size) {
    throw new MedprobeError(`${modelPath} was exported with fixed H/W ${fixedSide}x${fixedSide}, so it cannot run at ${size} px`, {
      file: modelPath,
      hint: REEXPORT_HINT,
    });
  }
  const p = card.vit?.patchSize;
  if (p && size % p !== 0) {
    throw new MedprobeError(`input size ${size} is not a multiple of ${card.name}'s patch size ${p}`, {
      hint: `use a multiple of ${p}, e.g. ${Math.round(size / p) * p}`,
    });
  }
  return size;
}
