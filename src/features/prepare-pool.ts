import { Worker } from 'node:worker_threads';
import type { SampleImage } from '../data/types.js';
import { MedprobeError } from '../util/errors.js';
import type { PrepareSpec, PreparedImages } from './prepare.js';

/**
 * Preprocessing on a worker thread. onnxruntime-node's `run` occupies the main thread for the
 * whole forward pass, so preprocessing batch i+1 on the main thread would serialise with
 * inference of batch i; on a worker it overlaps (see `npm run bench:extract`).
 */
/** Running from TypeScript sources (tests under tsx): register tsx inside the worker before loading its entry. */
function sourceWorker(spec: PrepareSpec): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./prepare-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: spec });
}

export class PrepareWorker {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (p: PreparedImages) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  constructor(spec: PrepareSpec) {
    // Under tsx (tests) the entry is the .ts source; compiled, it is the .js next to this file.
    this.worker = import.meta.url.endsWith('.ts') ? sourceWorker(spec) : new Worker(new URL('./prepare-worker.js', import.meta.url), { workerData: spec });
    this.worker.on('message', (m: { id: number; data?: Float32Array; counts?: number[]; error?: string; name?: string; hint?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(m.name === 'MedprobeError' ? new MedprobeError(m.error, { hint: m.hint }) : new Error(m.error));
      else p.resolve({ data: m.data!, counts: m.counts! });
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`preprocessing worker exited with code ${code}`));
    });
  }

  private fail(e: Error): void {
    this.failure = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Images are copied into the message (the originals are often views into a larger array). */
  prepare(images: readonly SampleImage[]): Promise<PreparedImages> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    // Structured clone copies a view's whole underlying buffer, so send compact copies (and transfer them).
    const compact = images.map((img) => ({ ...img, data: img.data.slice() }));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, images: compact }, compact.map((img) => img.data.buffer as ArrayBuffer));
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
