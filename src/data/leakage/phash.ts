import { createRequire } from 'node:module';
import type { SharpOptions } from 'sharp';
import type { Image2D } from '../types.js';

// sharp-phash is CommonJS (`module.exports = fn`) while its typings declare an ES default export,
// which NodeNext resolution cannot call; load it through require with the real signature.
const phash = createRequire(import.meta.url)('sharp-phash') as (image: Buffer, options?: SharpOptions) => Promise<string>;

/**
 * 64-bit perceptual hash (DCT pHash via sharp-phash: 32×32 grey → 8×8 low frequencies vs their
 * mean). Non-8-bit images (16-bit X-rays, HU) are min-max scaled to 0..255 first, since the hash
 * only looks at structure. Returned as a bigint.
 */
export async function perceptualHash(img: Image2D): Promise<bigint> {
  const { width, height, channels, data } = img;
  let bytes: Uint8Array;
  if (data instanceof Uint8Array) bytes = data;
  else {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) bytes[i] = Math.round((data[i] - lo) * scale);
  }
  const bits = await phash(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
  return BigInt('0b' + bits);
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

export function hammingDistance(a: bigint, b: bigint): number {
  const x = a ^ b;
  return popcount32(Number(x & 0xffffffffn)) + popcount32(Number((x >> 32n) & 0xffffffffn));
}
