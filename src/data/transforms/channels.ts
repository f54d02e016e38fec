import type { Image2D, Pixels } from '../types.js';
import { MedprobeError } from '../../util/errors.js';

function like(data: Pixels, n: number): Pixels {
  return new (data.constructor as new (n: number) => Pixels)(n);
}

/**
 * Three identical channels from a grey image (the way 1-channel scans meet RGB backbones).
 * RGB passes through untouched; alpha (grey+alpha, RGBA) is dropped since no backbone sees it.
 */
export function grayToRgb(img: Image2D): Image2D {
  const { width, height, channels, data } = img;
  if (channels === 3) return img;
  const n = width * height;
  const out = like(data, n * 3);
  if (channels === 1 || channels === 2) {
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const v = data[i * channels];
      out[j] = v;
      out[j + 1] = v;
      out[j + 2] = v;
    }
  } else if (channels === 4) {
    for (let i = 0, j = 0, k = 0; i < n; i++, j += 3, k += 4) {
      out[j] = data[k];
      out[j + 1] = data[k + 1];
      out[j + 2] = data[k + 2];
    }
  } else {
    throw new MedprobeError(`cannot turn a ${channels}-channel image into RGB`, { hint: 'images must have 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA) channels' });
  }
  return { kind: '2d', width, height, channels: 3, data: out };
}
