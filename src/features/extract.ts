import type { SampleImage, SplitSource } from '../data/types.js';
import type { Backbone } from '../models/backbone.js';
import type { Matrix } from '../util/matrix.js';
import { MedprobeError } from '../util/errors.js';
import type { Progress } from '../util/progress.js';
import { createPreparer, type PrepareSpec, type PreparedImages } from './prepare.js';
import { PrepareWorker } from './prepare-pool.js';

export interface ExtractOptions {
  backbone: Backbone;
  split: SplitSource;
  features: readonly string[];
  prepare: PrepareSpec;
  batchSize?: number;
  /**
   * Preprocess on a worker thread, overlapping inference. Off by default: with ORT already
   * using every core, the worker only competes for them (see `npm run bench:extract`, which
   * measures both); it pays off when the model leaves cores idle. A `PrepareWorker` given here is
   * used and left open (the caller owns it: a bench starts it outside its timed region).
   */
  worker?: boolean | PrepareWorker;
  progress?: Progress;
}

export interface ExtractedFeatures {
  /** Per feature: one row per image (2D) or per slice (3D). */
  matrices: Record<string, Matrix>;
  /** 3D only: rows offsets[i]..offsets[i+1] are the slices of volume i. */
  offsets?: Int32Array;
}

/**
 * Embed every sample of a split, in sample order. Sample reads for chunk c+2 (libuv) overlap
 * inference of chunk c (onnxruntime on the main thread, which it blocks while it runs), and so
 * does preprocessing of chunk c+1 when it runs on a worker. A chunk is `batchSize` 2D samples
 * or one volume, whose slices are run in batches of `batchSize`.
 */
export async function extractFeatures(opts: ExtractOptions): Promise<ExtractedFeatures> {
  const { backbone, split, features } = opts;
  const batchSize = opts.batchSize ?? 32;
  const per = 3 * backbone.inputSize * backbone.inputSize;
  if (split.size === 0) return { matrices: Object.fromEntries(features.map((f) => [f, { data: new Float32Array(0), rows: 0, cols: 0 }])) };

  const ownWorker = opts.worker === true;
  const worker = opts.worker instanceof PrepareWorker ? opts.worker : ownWorker ? new PrepareWorker(opts.prepare) : null;
  const inline = worker ? null : createPreparer(opts.prepare);
  // Inline preparation alternates two buffers: chunk c+1 is written while chunk c is still being run.
  const buffers: (Float32Array | undefined)[] = [undefined, undefined];
  let turn = 0;
  const prepare = (images: SampleImage[]): Promise<PreparedImages> => {
    if (worker) return worker.prepare(images);
    const b = (turn ^= 1);
    const out = inline!(images, buffers[b]);
    buffers[b] = out.data.length > (buffers[b]?.length ?? 0) ? out.data : buffers[b];
    return Promise.resolve(out);
  };

  const first = await split.get(0);
  const chunkSize = first.image.kind === '3d' ? 1 : batchSize;
  const chunks = Math.ceil(split.size / chunkSize);
  const fetch = (c: number): Promise<SampleImage[]> => {
    const idx = Array.from({ length: Math.min(chunkSize, split.size - c * chunkSize) }, (_, j) => c * chunkSize + j);
    return Promise.all(idx.map((i) => split.get(i))).then((samples) => samples.map((s) => s.image));
  };

  const chunksOut: Record<string, Float32Array[]> = Object.fromEntries(features.map((f) => [f, []]));
  const dims: Record<string, number> = {};
  const offsets: number[] = [0];
  let rows = 0;
  try {
    let prepared = prepare(await fetch(0));
    let fetchedNext = chunks > 1 ? fetch(1) : null;
    for (let c = 0; c < chunks; c++) {
      const { data, counts } = await prepared;
      if (c + 1 < chunks) {
        prepared = prepare(await fetchedNext!);
        fetchedNext = c + 2 < chunks ? fetch(c + 2) : null;
      }
      const total = counts.reduce((a, b) => a + b, 0);
      for (let s = 0; s < total; s += batchSize) {
        const n = Math.min(batchSize, total - s);
        const res = await backbone.run(data.subarray(s * per, (s + n) * per), n, features);
        for (const f of features) {
          const m = res[f];
          if (!m || m.rows !== n) throw new Error(`backbone returned no ${f} rows for this batch`);
          const bad = m.data.findIndex((v) => !Number.isFinite(v));
          if (bad >= 0) {
            throw new MedprobeError(`model ${backbone.card.name} produced a non-finite feature (${m.data[bad]}) at row ${rows + Math.floor(bad / m.cols)}`, {
              hint: 'check the model card preprocessing (mean/std, rescale) against the input data range',
            });
          }
          dims[f] = m.cols;
          chunksOut[f].push(m.data.slice());
        }
        rows += n;
      }
      for (const k of counts) offsets.push(offsets[offsets.length - 1] + k);
      opts.progress?.tick(counts.length);
    }
  } finally {
    if (ownWorker) await worker?.close();
  }

  const matrices: Record<string, Matrix> = {};
  for (const f of features) {
    const d = dims[f] ?? 0;
    const data = new Float32Array(rows * d);
    let off = 0;
    for (const part of chunksOut[f]) {
      data.set(part, off);
      off += part.length;
    }
    matrices[f] = { data, rows, cols: d };
  }
  return first.image.kind === '3d' ? { matrices, offsets: Int32Array.from(offsets) } : { matrices };
}
