import type { Image2D, SplitSource, Volume3D } from '../data/types.js';
import type { Backbone } from '../models/backbone.js';
import type { Matrix } from '../util/matrix.js';
import { MedprobeError } from '../util/errors.js';
import type { Progress } from '../util/progress.js';

/** Writes one preprocessed image as CHW float32 at `out[offset…]`. */
export type PrepareImage = (image: Image2D, out: Float32Array, offset: number) => void;

export interface ExtractOptions {
  backbone: Backbone;
  split: SplitSource;
  features: readonly string[];
  prepare: PrepareImage;
  /** 3D samples are embedded slice by slice along this axis (0 = depth/axial for MedMNIST3D). */
  sliceAxis?: 0 | 1 | 2;
  batchSize?: number;
  progress?: Progress;
}

export interface ExtractedFeatures {
  /** Per feature: one row per image (2D) or per slice (3D). */
  matrices: Record<string, Matrix>;
  /** 3D only: rows offsets[i]..offsets[i+1] are the slices of volume i. */
  offsets?: Int32Array;
}

/** The 2D slices of a volume along an axis, as single-channel images sharing the volume's pixel type. */
export function volumeSlices(v: Volume3D, axis: 0 | 1 | 2): Image2D[] {
  const { depth: D, height: H, width: W, data } = v;
  const Ctor = data.constructor as new (n: number) => typeof data;
  const out: Image2D[] = [];
  if (axis === 0) {
    for (let z = 0; z < D; z++) out.push({ kind: '2d', width: W, height: H, channels: 1, data: data.subarray(z * H * W, (z + 1) * H * W) });
  } else if (axis === 1) {
    for (let y = 0; y < H; y++) {
      const s = new Ctor(D * W);
      for (let z = 0; z < D; z++) s.set(data.subarray(z * H * W + y * W, z * H * W + (y + 1) * W), z * W);
      out.push({ kind: '2d', width: W, height: D, channels: 1, data: s });
    }
  } else {
    for (let x = 0; x < W; x++) {
      const s = new Ctor(D * H);
      for (let z = 0; z < D; z++) for (let y = 0; y < H; y++) s[z * H + y] = data[z * H * W + y * W + x];
      out.push({ kind: '2d', width: H, height: D, channels: 1, data: s });
    }
  }
  return out;
}

/**
 * Embed every sample of a split. ORT's `run` occupies the main thread, so the next
 * batch's samples are requested before each run: I/O-bound decoding (sharp, file reads)
 * proceeds in libuv's pool while the model computes, and CPU preprocessing is a small
 * share of a forward pass (see `npm run bench:extract` for the measured ratio).
 */
export async function extractFeatures(opts: ExtractOptions): Promise<ExtractedFeatures> {
  const { backbone, split, features, prepare } = opts;
  const batchSize = opts.batchSize ?? 32;
  const S = backbone.inputSize;
  const per = 3 * S * S;
  const batch = new Float32Array(batchSize * per);
  const chunks: Record<string, Float32Array[]> = Object.fromEntries(features.map((f) => [f, []]));
  const dims: Record<string, number> = {};
  const offsets: number[] = [0];
  let is3d = false;
  let rows = 0;
  let filled = 0;

  const flush = async (): Promise<void> => {
    if (filled === 0) return;
    const res = await backbone.run(batch.subarray(0, filled * per), filled, features);
    for (const f of features) {
      const m = res[f];
      if (!m || m.rows !== filled) throw new Error(`backbone returned no ${f} rows for this batch`);
      dims[f] = m.cols;
      const bad = m.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new MedprobeError(`model ${backbone.card.name} produced a non-finite feature (${m.data[bad]}) at row ${rows + Math.floor(bad / m.cols)} of split`, {
          hint: 'check the model card preprocessing (mean/std, rescale) against the input data range',
        });
      }
      chunks[f].push(m.data.slice());
    }
    rows += filled;
    opts.progress?.tick(filled);
    filled = 0;
  };

  const prefetch = 4;
  const pending: Promise<Awaited<ReturnType<SplitSource['get']>>>[] = [];
  for (let i = 0; i < Math.min(prefetch, split.size); i++) pending.push(split.get(i));
  for (let i = 0; i < split.size; i++) {
    const sample = await pending.shift()!;
    if (i + prefetch < split.size) pending.push(split.get(i + prefetch));
    const images = sample.image.kind === '2d' ? [sample.image] : volumeSlices(sample.image, opts.sliceAxis ?? 0);
    if (sample.image.kind === '3d') is3d = true;
    for (const img of images) {
      prepare(img, batch, filled * per);
      filled++;
      if (filled === batchSize) await flush();
    }
    offsets.push(offsets[offsets.length - 1] + images.length);
  }
  await flush();

  const matrices: Record<string, Matrix> = {};
  for (const f of features) {
    const d = dims[f] ?? 0;
    const data = new Float32Array(rows * d);
    let off = 0;
    for (const c of chunks[f]) {
      data.set(c, off);
      off += c.length;
    }
    matrices[f] = { data, rows, cols: d };
  }
  return is3d ? { matrices, offsets: Int32Array.from(offsets) } : { matrices };
}

/** Mean of each volume's slice rows: the reference study's 3D embedding. */
export function meanOverGroups(m: Matrix, offsets: Int32Array): Matrix {
  const n = offsets.length - 1;
  const out = new Float32Array(n * m.cols);
  for (let i = 0; i < n; i++) {
    const a = offsets[i];
    const b = offsets[i + 1];
    const o = out.subarray(i * m.cols, (i + 1) * m.cols);
    for (let r = a; r < b; r++) {
      const src = m.data.subarray(r * m.cols, (r + 1) * m.cols);
      for (let c = 0; c < m.cols; c++) o[c] += src[c];
    }
    const inv = 1 / Math.max(b - a, 1);
    for (let c = 0; c < m.cols; c++) o[c] *= inv;
  }
  return { data: out, rows: n, cols: m.cols };
}
