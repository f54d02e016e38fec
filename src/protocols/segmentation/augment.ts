import type { SegBatch } from '../../engine/seg/decoder-engine.js';
import type { GridShape } from '../../engine/seg/decoder-spec.js';
import type { Rng } from '../../util/random.js';

/**
 * The reference study's training augmentation — horizontal and vertical flips (p = 0.25 each)
 * and a rotation of up to ±maxDegrees — applied in FEATURE space: each sample's cached backbone
 * grids, one-hot target and validity mask go through the same geometric map (grids bilinear,
 * target and mask nearest, pixels rotated in from outside the plane are marked invalid). The
 * encoder is frozen and features are extracted once, so the images are never re-encoded; for
 * flips this is exactly a permutation of the grid, for rotations it resamples the grid.
 */
export interface SegAugmentation {
  hflip: number;
  vflip: number;
  /** Probability of a rotation, and its largest angle in degrees (uniform in ±maxDegrees). */
  rotate: number;
  maxDegrees: number;
}

/** 2×2 map from output to source coordinates (about the plane centre); null = identity. */
type InverseMap = [number, number, number, number] | null;

function drawMap(aug: SegAugmentation, rng: Rng): InverseMap {
  // Draw all three decisions every time, so one sample's choices never shift the next one's.
  const h = rng.next() < aug.hflip;
  const v = rng.next() < aug.vflip;
  const r = rng.next() < aug.rotate;
  const angle = (rng.next() * 2 - 1) * aug.maxDegrees;
  if (!h && !v && !r) return null;
  const t = r ? (angle * Math.PI) / 180 : 0;
  const [c, s] = [Math.cos(t), Math.sin(t)];
  // source = F · R⁻¹ · output, F = diag(h ? −1 : 1, v ? −1 : 1) (flips are their own inverse).
  const fx = h ? -1 : 1;
  const fy = v ? -1 : 1;
  return [fx * c, fx * s, -fy * s, fy * c];
}

/**
 * Where each output pixel of an h×w plane reads from under `m`: for bilinear, the 4 neighbours
 * (−1 when outside the plane, which reads as 0) and the fractional offsets; for nearest, one
 * index (−1 outside). Computed once per sample and plane size, then applied to every channel,
 * so the per-channel work is plain array reads (≈ 10× faster than recomputing per channel).
 */
interface Sampling {
  i00: Int32Array;
  i01: Int32Array;
  i10: Int32Array;
  i11: Int32Array;
  ax: Float64Array;
  ay: Float64Array;
  nearest: Int32Array;
}

function sampling(h: number, w: number, m: [number, number, number, number]): Sampling {
  const plane = h * w;
  const out: Sampling = { i00: new Int32Array(plane), i01: new Int32Array(plane), i10: new Int32Array(plane), i11: new Int32Array(plane), ax: new Float64Array(plane), ay: new Float64Array(plane), nearest: new Int32Array(plane) };
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const at = (yy: number, xx: number) => (yy >= 0 && yy < h && xx >= 0 && xx < w ? yy * w + xx : -1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x - cx;
      const dy = y - cy;
      const sx = m[0] * dx + m[1] * dy + cx;
      const sy = m[2] * dx + m[3] * dy + cy;
      const p = y * w + x;
      out.nearest[p] = at(Math.round(sy), Math.round(sx));
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      out.ax[p] = sx - x0;
      out.ay[p] = sy - y0;
      out.i00[p] = at(y0, x0);
      out.i01[p] = at(y0, x0 + 1);
      out.i10[p] = at(y0 + 1, x0);
      out.i11[p] = at(y0 + 1, x0 + 1);
    }
  }
  return out;
}

/** Resample planes [channels, h, w] in place (bilinear or nearest); with `inside`, marks the pixels that came from within the plane. */
function warp(data: Float32Array, offset: number, channels: number, h: number, w: number, t: Sampling, nearest: boolean, inside?: Uint8Array): void {
  const plane = h * w;
  const src = data.slice(offset, offset + channels * plane);
  if (inside) for (let p = 0; p < plane; p++) inside[p] = t.nearest[p] >= 0 ? 1 : 0;
  for (let c = 0; c < channels; c++) {
    const base = c * plane;
    const dst = offset + base;
    if (nearest) {
      for (let p = 0; p < plane; p++) {
        const i = t.nearest[p];
        data[dst + p] = i >= 0 ? src[base + i] : 0;
      }
      continue;
    }
    for (let p = 0; p < plane; p++) {
      const ax = t.ax[p];
      const ay = t.ay[p];
      const v00 = t.i00[p] >= 0 ? src[base + t.i00[p]] : 0;
      const v01 = t.i01[p] >= 0 ? src[base + t.i01[p]] : 0;
      const v10 = t.i10[p] >= 0 ? src[base + t.i10[p]] : 0;
      const v11 = t.i11[p] >= 0 ? src[base + t.i11[p]] : 0;
      data[dst + p] = (1 - ay) * ((1 - ax) * v00 + ax * v01) + ay * ((1 - ax) * v10 + ax * v11);
    }
  }
}

/** Augments a training batch in place; the draws come from `rng` in sample order (seeded, reproducible). */
export function augmentBatch(batch: SegBatch, shapes: readonly GridShape[], classes: number, height: number, width: number, aug: SegAugmentation, rng: Rng): void {
  const plane = height * width;
  const inside = new Uint8Array(plane);
  for (let b = 0; b < batch.n; b++) {
    const m = drawMap(aug, rng);
    if (!m) continue;
    const tables = new Map<string, Sampling>();
    const tableFor = (h: number, w: number) => {
      const k = `${h}x${w}`;
      if (!tables.has(k)) tables.set(k, sampling(h, w, m));
      return tables.get(k)!;
    };
    shapes.forEach((s, l) => warp(batch.feats[l], b * s.channels * s.height * s.width, s.channels, s.height, s.width, tableFor(s.height, s.width), false));
    warp(batch.target, b * classes * plane, classes, height, width, tableFor(height, width), true);
    warp(batch.valid, b * plane, 1, height, width, tableFor(height, width), true, inside);
    for (let p = 0; p < plane; p++) if (!inside[p]) batch.valid[b * plane + p] = 0;
  }
}
