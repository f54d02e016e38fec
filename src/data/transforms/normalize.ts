import type { Image2D } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import type { PixelNormalization } from './spec.js';

/**
 * Writes the model input for one image — CHW float32, `(v · rescale − mean[c]) / std[c]` — straight
 * into a batch buffer at `offset` (in floats), so a batch is filled without intermediate copies.
 * A 1-channel image is broadcast to the three channels here (cheaper than `grayToRgb` first).
 * Returns the number of floats written (3·H·W).
 */
export function normalizeToChw(img: Image2D, norm: PixelNormalization, out: Float32Array, offset = 0): number {
  const { width, height, channels, data } = img;
  const plane = width * height;
  if (channels !== 1 && channels !== 3) {
    throw new MedprobeError(`normalizeToChw needs a 1- or 3-channel image, got ${channels} channels`, { hint: 'apply grayToRgb first' });
  }
  if (offset < 0 || offset + 3 * plane > out.length) {
    throw new RangeError(`batch buffer too small: need ${offset + 3 * plane} floats, have ${out.length}`);
  }
  for (let c = 0; c < 3; c++) {
    const a = norm.rescale / norm.std[c];
    const b = -norm.mean[c] / norm.std[c];
    const base = offset + c * plane;
    const src = channels === 1 ? 0 : c;
    for (let i = 0, j = src; i < plane; i++, j += channels) out[base + i] = data[j] * a + b;
  }
  return 3 * plane;
}
