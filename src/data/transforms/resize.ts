import type { Image2D, Pixels } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import type { Interpolation, PixelNormalization, Size2D } from './spec.js';

/**
 * Resizing with PyTorch `F.interpolate(mode, align_corners=False, antialias=False)` semantics, the
 * resampling used by the published pipelines we compare against (e.g. MedMNIST 28→224 bilinear).
 *
 * Hand-rolled on purpose: sharp/libvips only resizes 8/16-bit integer images (no float, no negative
 * HU values) and its 'linear' kernel is not PyTorch's half-pixel bilinear, so it cannot reproduce
 * the reference numbers. Measured against sharp (kernel 'linear') on the same uint8 pixels in the
 * same run (shared 2-core box, load ~19, so only ratios mean anything): 28²→224² grey ~0.5× sharp's
 * time, 512²→224² grey ~1.2×, 512²→224² RGB ~8× (libvips uses SIMD fixed-point). Even the worst case
 * is a few ms per image; `npm run bench:data` prints ours/sharp next to backbone inference.
 */

/** Per output index: `taps` source indices and weights. */
interface Taps {
  taps: number;
  index: Int32Array;
  weight: Float32Array;
}

const CUBIC_A = -0.75; // PyTorch's bicubic coefficient (PIL uses -0.5)

function cubic1(x: number): number {
  return ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1;
}
function cubic2(x: number): number {
  return ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A;
}

function tapTable(inLen: number, outLen: number, mode: Interpolation): Taps {
  const scale = inLen / outLen;
  if (mode === 'nearest') {
    // PyTorch legacy 'nearest': floor(dst * scale) in float32, clamped.
    const index = new Int32Array(outLen);
    const s = Math.fround(scale);
    for (let o = 0; o < outLen; o++) index[o] = Math.min(Math.floor(Math.fround(o * s)), inLen - 1);
    return { taps: 1, index, weight: new Float32Array(outLen).fill(1) };
  }
  if (mode === 'bilinear') {
    const index = new Int32Array(outLen * 2);
    const weight = new Float32Array(outLen * 2);
    for (let o = 0; o < outLen; o++) {
      const src = Math.max(scale * (o + 0.5) - 0.5, 0); // half-pixel centres, negative clamped to 0
      const i0 = Math.min(Math.floor(src), inLen - 1);
      const i1 = i0 < inLen - 1 ? i0 + 1 : i0;
      const l1 = src - i0;
      index[2 * o] = i0;
      index[2 * o + 1] = i1;
      weight[2 * o] = 1 - l1;
      weight[2 * o + 1] = l1;
    }
    return { taps: 2, index, weight };
  }
  const index = new Int32Array(outLen * 4);
  const weight = new Float32Array(outLen * 4);
  for (let o = 0; o < outLen; o++) {
    const src = scale * (o + 0.5) - 0.5; // no clamp for cubic; border indices are clamped instead
    const i0 = Math.floor(src);
    const t = src - i0;
    const w = [cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(2 - t)];
    for (let k = 0; k < 4; k++) {
      index[4 * o + k] = Math.min(Math.max(i0 - 1 + k, 0), inLen - 1);
      weight[4 * o + k] = w[k];
    }
  }
  return { taps: 4, index, weight };
}

function checkSize(size: Size2D): void {
  if (!(Number.isInteger(size.height) && Number.isInteger(size.width) && size.height > 0 && size.width > 0)) {
    throw new MedprobeError(`cannot resize to ${size.height}x${size.width}`, { hint: 'sizes must be positive integers' });
  }
}

/** Nearest keeps the pixel type; bilinear/bicubic return float32 (no rounding, no clamping — as PyTorch on float tensors). */
export function resize(img: Image2D, size: Size2D, mode: Interpolation = 'bilinear'): Image2D {
  checkSize(size);
  const { width: inW, height: inH, channels: C, data } = img;
  const outW = size.width;
  const outH = size.height;
  if (outW === inW && outH === inH) return img;
  const tx = tapTable(inW, outW, mode);
  const ty = tapTable(inH, outH, mode);
  if (mode === 'nearest') {
    const out = new (data.constructor as new (n: number) => Pixels)(outW * outH * C);
    for (let y = 0; y < outH; y++) {
      const rowIn = ty.index[y] * inW;
      for (let x = 0; x < outW; x++) {
        const si = (rowIn + tx.index[x]) * C;
        const di = (y * outW + x) * C;
        for (let c = 0; c < C; c++) out[di + c] = data[si + c];
      }
    }
    return { kind: '2d', width: outW, height: outH, channels: C, data: out };
  }
  // Do the pass that shrinks the intermediate first: cost ∝ min(inH·outW, outH·inW).
  const out = new Float32Array(outW * outH * C);
  // One float32 copy of the input keeps both passes monomorphic (Float32Array only); mixing
  // element types in the same loop made V8 ~5x slower in our measurements.
  const src = data instanceof Float32Array ? data : new Float32Array(data);
  if (inH * outW <= outH * inW) {
    const tmp = new Float32Array(inH * outW * C);
    horizontal(src, inH, inW, C, tx, tmp, outW);
    vertical(tmp, outW * C, ty, out, outH);
  } else {
    const tmp = new Float32Array(outH * inW * C);
    vertical(src, inW * C, ty, tmp, outH);
    horizontal(tmp, outH, inW, C, tx, out, outW);
  }
  return { kind: '2d', width: outW, height: outH, channels: C, data: out };
}

function horizontal(src: Float32Array, rows: number, inW: number, C: number, t: Taps, dst: Float32Array, outW: number): void {
  const { taps, index, weight } = t;
  if (taps === 2) {
    // bilinear: the common case, unrolled (about 2x faster than the generic tap loop in V8)
    for (let y = 0; y < rows; y++) {
      const rowIn = y * inW * C;
      let o = y * outW * C;
      for (let x = 0; x < outW; x++) {
        const a = rowIn + index[2 * x] * C;
        const b = rowIn + index[2 * x + 1] * C;
        const wa = weight[2 * x];
        const wb = weight[2 * x + 1];
        for (let c = 0; c < C; c++) dst[o++] = wa * src[a + c] + wb * src[b + c];
      }
    }
    return;
  }
  for (let y = 0; y < rows; y++) {
    const rowIn = y * inW * C;
    const rowOut = y * outW * C;
    for (let x = 0; x < outW; x++) {
      const tb = x * taps;
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let k = 0; k < taps; k++) s += weight[tb + k] * src[rowIn + index[tb + k] * C + c];
        dst[rowOut + x * C + c] = s;
      }
    }
  }
}

/** Rows are contiguous (`rowLen` values), so the vertical pass is a weighted sum of whole rows. */
function vertical(src: Float32Array, rowLen: number, t: Taps, dst: Float32Array, outRows: number): void {
  const { taps, index, weight } = t;
  for (let y = 0; y < outRows; y++) {
    const o = y * rowLen;
    if (taps === 2) {
      const a = index[2 * y] * rowLen;
      const b = index[2 * y + 1] * rowLen;
      const wa = weight[2 * y];
      const wb = weight[2 * y + 1];
      for (let i = 0; i < rowLen; i++) dst[o + i] = wa * src[a + i] + wb * src[b + i];
      continue;
    }
    for (let k = 0; k < taps; k++) {
      const w = weight[y * taps + k];
      if (w === 0) continue;
      const r = index[y * taps + k] * rowLen;
      for (let i = 0; i < rowLen; i++) dst[o + i] += w * src[r + i];
    }
  }
}

/**
 * torchvision `Resize(int)`: the shorter side becomes `size`, the longer keeps the aspect ratio
 * (truncated, as `int(size * long / short)` in torchvision).
 */
export function resizeShorterSide(img: Image2D, size: number, mode: Interpolation = 'bilinear'): Image2D {
  const { width: w, height: h } = img;
  if (w <= h) return resize(img, { width: size, height: Math.trunc((size * h) / w) }, mode);
  return resize(img, { height: size, width: Math.trunc((size * w) / h) }, mode);
}

let scratch = new Float32Array(0);

/**
 * Bilinear resize to size × size fused with the CHW normalisation `(v · rescale − mean[c]) / std[c]`,
 * written straight into a batch buffer: the common MedMNIST → model path without the two
 * intermediate images of `resize` + `normalizeToChw`. Bit-identical to them (same float32
 * rounding of the resized value); about 4× faster on 28² → 224² grey, where the unfused
 * pair cost a third of MobileNetV2-0.35's forward pass (`npm run bench:extract`).
 * A grey image is broadcast to three channels, by copying the plane when the channels share
 * mean and std. Returns false (writing nothing) for channel counts other than 1 and 3.
 */
export function resizeBilinearToChw(img: Image2D, size: number, norm: PixelNormalization, out: Float32Array, offset = 0): boolean {
  const { width: inW, height: inH, channels: C, data } = img;
  if (C !== 1 && C !== 3) return false;
  const tx = tapTable(inW, size, 'bilinear');
  const ty = tapTable(inH, size, 'bilinear');
  const src = data instanceof Float32Array ? data : new Float32Array(data);
  const need = inH * size * C;
  if (scratch.length < need) scratch = new Float32Array(need);
  horizontal(src, inH, inW, C, tx, scratch, size);
  const plane = size * size;
  const rowLen = size * C;
  const a = [0, 1, 2].map((c) => norm.rescale / norm.std[c]);
  const b = [0, 1, 2].map((c) => -norm.mean[c] / norm.std[c]);
  // Grey: each resized value is computed once and written to the three planes (or to one plane,
  // copied after, when the channels share mean and std).
  const shared = C === 1 && a[1] === a[0] && a[2] === a[0] && b[1] === b[0] && b[2] === b[0];
  const [A0, A1, A2] = a;
  const [B0, B1, B2] = b;
  for (let y = 0; y < size; y++) {
    const r0 = ty.index[2 * y] * rowLen;
    const r1 = ty.index[2 * y + 1] * rowLen;
    const w0 = ty.weight[2 * y];
    const w1 = ty.weight[2 * y + 1];
    const o = offset + y * size;
    if (shared) {
      for (let x = 0; x < size; x++) out[o + x] = Math.fround(w0 * scratch[r0 + x] + w1 * scratch[r1 + x]) * A0 + B0;
    } else if (C === 1) {
      for (let x = 0; x < size; x++) {
        const v = Math.fround(w0 * scratch[r0 + x] + w1 * scratch[r1 + x]);
        out[o + x] = v * A0 + B0;
        out[o + plane + x] = v * A1 + B1;
        out[o + 2 * plane + x] = v * A2 + B2;
      }
    } else {
      for (let c = 0; c < 3; c++) {
        const oc = o + c * plane;
        for (let x = 0, i = c; x < size; x++, i += 3) out[oc + x] = Math.fround(w0 * scratch[r0 + i] + w1 * scratch[r1 + i]) * a[c] + b[c];
      }
    }
  }
  if (shared) {
    out.copyWithin(offset + plane, offset, offset + plane);
    out.copyWithin(offset + 2 * plane, offset, offset + plane);
  }
  return true;
}
