import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { createRng } from '../util/random.js';
import { createProgress } from '../util/progress.js';
import { computeKeyParts, type Backbone } from './backbone.js';
import { openBackbone, type BackboneRef } from './open.js';
import type { Device } from './onnx/device.js';

/**
 * Measured images/s per (model, input size, threads, host), kept in `<cache>/throughput.json`
 * so the run planner can give ETAs before extracting anything: every run records its own
 * extraction speed here, and `medprobe models bench` measures one without data. Throughput depends on all four:
 * the same model runs ~2× slower at twice the threads on a shared 2-core box, so none is dropped.
 */

export const THROUGHPUT_FILE = 'throughput.json';

export interface ThroughputKey {
  /** Backbone fingerprint (sha256 of its model files). */
  fingerprint: string;
  inputSize: number;
  threads: number;
  host: string;
  /** Absent: cpu (records written before devices existed are cpu figures). */
  device?: string;
}

/** Who measured it: `models bench` on synthetic input, or a run's own extraction (data reads and preprocessing included). */
export type ThroughputSource = 'bench' | 'run';

export interface ThroughputRecord extends ThroughputKey {
  model: string;
  /** Absent in records written before runs recorded their own speed: bench. */
  source?: ThroughputSource;
  runtime: string;
  imagesPerSecond: number;
  batchSize: number;
  batches: number;
  measuredAt: string;
}

interface ThroughputFile {
  format: 1;
  records: ThroughputRecord[];
}

/** This machine, as throughput keys name it: host name, CPU model and core count. */
export function hostId(): string {
  const cpus = os.cpus();
  return `${os.hostname()}|${cpus[0]?.model.trim() ?? 'unknown cpu'}|${cpus.length} cores`;
}

/** Threads a backbone computes with: TF.js wasm is single-threaded in Node; ORT uses what it was given. */
export function threadsOf(backbone: Backbone, requested?: number): number {
  if (backbone.runtime.name.startsWith('tfjs')) return 1;
  return backbone.compute?.intraOpThreads ?? requested ?? os.availableParallelism();
}

function sameKey(a: ThroughputKey, b: ThroughputKey): boolean {
  return a.fingerprint === b.fingerprint && a.inputSize === b.inputSize && a.threads === b.threads && a.host === b.host && (a.device ?? 'cpu') === (b.device ?? 'cpu');
}

/** A missing or unreadable store is empty: it only holds measurements, which a re-run restores. */
async function readStore(file: string): Promise<ThroughputFile> {
  try {
    const raw = JSON.parse(await fs.readFile(file, 'utf8')) as ThroughputFile;
    if (raw && raw.format === 1 && Array.isArray(raw.records)) return raw;
  } catch {
    // fall through
  }
  return { format: 1, records: [] };
}

/** Stores a measurement, replacing any earlier one under the same key (atomic write). */
export async function recordThroughput(cacheDir: string, record: ThroughputRecord): Promise<void> {
  const file = path.join(cacheDir, THROUGHPUT_FILE);
  const store = await readStore(file);
  store.records = [...store.records.filter((r) => !sameKey(r, record)), record];
  await writeJsonAtomic(file, store);
}

export async function lookupThroughput(cacheDir: string, key: ThroughputKey): Promise<ThroughputRecord | undefined> {
  const store = await readStore(path.join(cacheDir, THROUGHPUT_FILE));
  return store.records.find((r) => sameKey(r, key));
}

export interface MeasureThroughputOptions {
  batchSize?: number;
  /** Timed batches after warm-up (default 5). */
  batches?: number;
  /** Untimed batches first: session/kernel setup and caches (default 1). */
  warmup?: number;
  /** Feature to compute (default the backbone's first). */
  feature?: string;
  /** Threads the backbone was opened with, for the key (default: see `threadsOf`). */
  threads?: number;
}

/**
 * Images/s of a backbone on synthetic input (values in the model's normalised range), warm-up
 * excluded. Synthetic input is fine: these graphs have no data-dependent control flow.
 */
export async function measureThroughput(backbone: Backbone, opts: MeasureThroughputOptions = {}): Promise<ThroughputRecord> {
  const batchSize = opts.batchSize ?? 32;
  const batches = opts.batches ?? 5;
  const warmup = opts.warmup ?? 1;
  const feature = opts.feature ?? backbone.features[0];
  const per = 3 * backbone.inputSize * backbone.inputSize;
  const rng = createRng(1);
  const x = new Float32Array(batchSize * per);
  for (let i = 0; i < x.length; i++) x[i] = rng.next() * 2 - 1;
  for (let i = 0; i < warmup; i++) await backbone.run(x, batchSize, [feature]);
  const progress = createProgress(`bench ${backbone.card.name}`, batches * batchSize);
  const t0 = performance.now();
  try {
    for (let i = 0; i < batches; i++) {
      await backbone.run(x, batchSize, [feature]);
      progress.tick(batchSize);
    }
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    fingerprint: backbone.fingerprint,
    inputSize: backbone.inputSize,
    threads: threadsOf(backbone, opts.threads),
    host: hostId(),
    ...computeKeyParts(backbone),
    model: backbone.card.name,
    source: 'bench',
    runtime: `${backbone.runtime.name} ${backbone.runtime.version}`,
    imagesPerSecond: (batches * batchSize) / seconds,
    batchSize,
    batches,
    measuredAt: new Date().toISOString(),
  };
}

/** Open a backbone, measure it, store the result under `<cacheDir>/throughput.json`, close it. */
export async function benchBackbone(
  ref: BackboneRef,
  opts: MeasureThroughputOptions & { cacheDir: string; inputSize?: number; device?: Device },
): Promise<ThroughputRecord> {
  const backbone = await openBackbone(ref, { device: opts.device, threads: opts.threads, inputSize: opts.inputSize, cacheDir: opts.cacheDir });
  try {
    const record = await measureThroughput(backbone, opts);
    await recordThroughput(opts.cacheDir, record);
    return record;
  } finally {
    await backbone.dispose();
  }
}
