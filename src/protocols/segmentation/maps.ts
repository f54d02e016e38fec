import type { LoadedCard } from '../../models/card.js';
import { MedprobeError } from '../../util/errors.js';

/** MobileNetV2-0.35 (Keras layout) stage outputs used as U-Net skips, deepest first: strides 32, 16, 8, 4. */
export const MOBILENETV2_TAPS = ['feature_map', '/graph/block_13_expand_relu/Clip_output_0', '/graph/block_6_expand_relu/Clip_output_0', '/graph/block_3_expand_relu/Clip_output_0'];

/**
 * Feature maps a decoder reads, deepest first, when the user names none: the card's
 * `segmentationMaps` (SAM's image_embeddings grid), else a ViT's last 4 blocks
 * (the study's choice), MobileNetV2's stride-32/16/8/4 stages. Other CNNs have no known stage
 * names, so they must be given.
 */
export function defaultSegMaps(loaded: LoadedCard): string[] {
  const { card } = loaded;
  if (card.segmentationMaps) return [...card.segmentationMaps];
  if (card.vit) return ['block:-1', 'block:-2', 'block:-3', 'block:-4'];
  if (card.name.startsWith('mobilenetv2')) return [...MOBILENETV2_TAPS];
  throw new MedprobeError(`no default feature maps for model ${card.name}`, {
    file: loaded.cardPath,
    hint: 'name them with `maps:` (or --maps): graph tensor names, deepest first (e.g. feature_map,/stage3/relu_output_0)',
  });
}
