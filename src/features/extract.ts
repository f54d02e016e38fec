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
   * Preprocess on a worker thread, overlapping inference. The default is `preparesOnWorker`:
   * on only when the backbone runs on a GPU provider. A `PrepareWorker` given here is used and
   * left open (the caller owns it: a bench starts it outside its timed region).
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
 * Whether preprocessing defaults to a worker thread. On the CPU provider it does not: ORT already
 * uses every core, and the worker only competes for them (`npm run bench:extract` measures both,
 * docs/results/performance.md). On a GPU provider the
 * main thread only waits inside `session.run` (onnxruntime-node runs it synchronously) while the
 * cores sit idle, so preparing the next batch on a worker hides its cost.
 */
export function preparesOnWorker(backbone: Pick<Backbone, 'compute'>): boolean {
  const device = backbone.compute?.device;
  return device !== undefined && device !== 'cpu';
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

  const ownWorker = (opts.worker ?? preparesOnWorker(backbone)) === true;
  const worker = opts.worker instanceof PrepareWorker ? opts.worker : ownWorker ? new PrepareWorker(opts.prepare) : null;
  const inline = worker ? null : createPreparer(opts.prepare);
  // Inline, chunk c is prepared right before it runs, into one reused buffer: ORT's run holds
  // this thread, so preparing c+1 before running c overlapped nothing, cost a second batch buffer
  // (19 MB at MobileNetV2's batch 32), and left the batch cold in cache by the time it ran.
  // On a worker, chunk c+1 is prepared while chunk c runs.
  let buffer: Float32Array | undefined;
  const prepareInline = (images: SampleImage[]): PreparedImages => {
    const out = inline!(images, buffer);
    if (out.data.length > (buffer?.length ?? 0)) buffer = out.data;
    return out;
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
    // Sample reads (libuv: file reads, decodes) run up to two chunks ahead of the one being run.
    const reads = new Map<number, Promise<SampleImage[]>>();
    const read = (c: number): Promise<SampleImage[]> => {
      let r = reads.get(c);
      if (!r) {
        reads.set(c, (r = fetch(c)));
        r.catch(() => undefined); // a read ahead that fails after an earlier error is not an unhandled rejection; its awaiter still sees it
      }
      return r;
    };
    let onWorker = worker ? worker.prepare(await read(0)) : null;
    for (let c = 0; c < chunks; c++) {
      const { data, counts } = worker ? await onWorker! : prepareInline(await read(c));
      reads.delete(c);
      if (worker && c + 1 < chunks) onWorker = worker.prepare(await read(c + 1));
      for (let k = c + 1; k <= c + 2 && k < chunks; k++) void read(k);
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
