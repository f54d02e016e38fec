import type { Image2D, Pixels } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import type { Size2D } from './spec.js';

/** Python's round(): halves go to the even neighbour. torchvision's crop offsets use it. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision `CenterCrop`: offset `round((H − h) / 2)`; a crop larger than the image is
 * zero-padded around it first, as torchvision does.
 */
export function centerCrop(img: Image2D, size: Size2D): Image2D {
  const { width: W, height: H, channels: C, data } = img;
  const { width: w, height: h } = size;
  if (!(Number.isInteger(w) && Number.isInteger(h) && w > 0 && h > 0)) {
    throw new MedprobeError(`cannot crop to ${h}x${w}`, { hint: 'crop sizes must be positive integers' });
  }
  if (w === W && h === H) return img;
  // Padding (torchvision): left = (w − W) // 2, top = (h − H) // 2 when the crop is larger.
  const top = h > H ? -Math.floor((h - H) / 2) : roundHalfEven((H - h) / 2);
  const left = w > W ? -Math.floor((w - W) / 2) : roundHalfEven((W - w) / 2);
  const out = new (data.constructor as new (n: number) => Pixels)(w * h * C);
  for (let y = 0; y < h; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= H) continue;
    for (let x = 0; x < w; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= W) continue;
      const si = (sy * W + sx) * C;
      const di = (y * w + x) * C;
      for (let c = 0; c < C; c++) out[di + c] = data[si + c];
    }
  }
  return { kind: '2d', width: w, height: h, channels: C, data: out };
}
