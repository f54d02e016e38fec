// Worker thread entry: compiles the PrepareSpec it was started with and prepares batches on request.
import { parentPort, workerData } from 'node:worker_threads';
import type { SampleImage } from '../data/types.js';
import { createPreparer, type PrepareSpec } from './prepare.js';

const prepare = createPreparer(workerData as PrepareSpec);
parentPort!.on('message', (msg: { id: number; images: SampleImage[] }) => {
  try {
    const out = prepare(msg.images);
    parentPort!.postMessage({ id: msg.id, data: out.data, counts: out.counts }, [out.data.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message, name: (e as Error).name, hint: (e as { hint?: string }).hint });
  }
});
