/** Colour-layout conversions for DICOM pixel data (PS3.3 C.7.6.3.1.2 and C.7.6.3.1.3). */

type Samples = Uint8Array | Uint16Array | Int16Array | Uint32Array;

/** Colour-by-plane (RRR…GGG…BBB…) → colour-by-pixel (RGBRGB…). */
export function planarToInterleaved<T extends Samples>(src: T, components: number): T {
  const n = Math.floor(src.length / components);
  const out = new (src.constructor as new (len: number) => T)(src.length);
  for (let c = 0; c < components; c++) {
    const off = c * n;
    for (let p = 0; p < n; p++) out[p * components + c] = src[off + p];
  }
  return out;
}

/**
 * YBR_FULL → RGB with the PS3.3 C.7.6.3.1.2 (ITU-R BT.601 full-range) equations, rounded and
 * clipped to the sample range, in place. Same coefficients as pydicom's convert_color_space.
 */
export function ybrFullToRgbInPlace(px: Samples, bits: number): void {
  const max = 2 ** bits - 1;
  const half = 2 ** (bits - 1);
  for (let i = 0; i + 2 < px.length; i += 3) {
    const y = px[i];
    const cb = px[i + 1] - half;
    const cr = px[i + 2] - half;
    px[i] = clamp(Math.round(y + 1.402 * cr), max);
    px[i + 1] = clamp(Math.round(y - 0.344136 * cb - 0.714136 * cr), max);
    px[i + 2] = clamp(Math.round(y + 1.772 * cb), max);
  }
}

function clamp(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}

/**
 * YBR_FULL_422 as stored uncompressed (PS3.3 C.7.6.3.1.2): each pair of pixels in a row is
 * Y1 Y2 Cb Cr. Expand to full-resolution YBR (Y Cb Cr per pixel) by repeating the chroma.
 */
export function expandYbr422<T extends Samples>(src: T, rows: number, columns: number): T {
  const out = new (src.constructor as new (len: number) => T)(rows * columns * 3);
  const pairs = Math.ceil(columns / 2);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < pairs; k++) {
      const s = (r * pairs + k) * 4;
      const cb = src[s + 2];
      const cr = src[s + 3];
      for (let j = 0; j < 2; j++) {
        const c = 2 * k + j;
        if (c >= columns) break;
        const o = (r * columns + c) * 3;
        out[o] = src[s + j];
        out[o + 1] = cb;
        out[o + 2] = cr;
      }
    }
  }
  return out;
}
