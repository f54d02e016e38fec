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

/** Resample planes [channels, h, w] in place through `m` (bilinear or nearest); returns the inside mask for nearest. */
function warp(data: Float32Array, offset: number, channels: number, h: number, w: number, m: [number, number, number, number], nearest: boolean, inside?: Uint8Array): void {
  const plane = h * w;
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const src = data.slice(offset, offset + channels * plane);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x - cx;
      const dy = y - cy;
      const sx = m[0] * dx + m[1] * dy + cx;
      const sy = m[2] * dx + m[3] * dy + cy;
      const p = y * w + x;
      if (nearest) {
        const ix = Math.round(sx);
        const iy = Math.round(sy);
        const ok = ix >= 0 && ix < w && iy >= 0 && iy < h;
        if (inside) inside[p] = ok ? 1 : 0;
        for (let c = 0; c < channels; c++) data[offset + c * plane + p] = ok ? src[c * plane + iy * w + ix] : 0;
        continue;
      }
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const ax = sx - x0;
      const ay = sy - y0;
      for (let c = 0; c < channels; c++) {
        const base = c * plane;
        const at = (yy: number, xx: number) => (yy >= 0 && yy < h && xx >= 0 && xx < w ? src[base + yy * w + xx] : 0);
        data[offset + base + p] = (1 - ay) * ((1 - ax) * at(y0, x0) + ax * at(y0, x0 + 1)) + ay * ((1 - ax) * at(y0 + 1, x0) + ax * at(y0 + 1, x0 + 1));
      }
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
    shapes.forEach((s, l) => warp(batch.feats[l], b * s.channels * s.height * s.width, s.channels, s.height, s.width, m, false));
    warp(batch.target, b * classes * plane, classes, height, width, m, true);
    warp(batch.valid, b * plane, 1, height, width, m, true, inside);
    for (let p = 0; p < plane; p++) if (!inside[p]) batch.valid[b * plane + p] = 0;
  }
}
