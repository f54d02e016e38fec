import { startUnitWorker } from '../../run/queue/worker.js';
import { medprobeHandlers, MEDPROBE_UNIT_KINDS } from '../../run/queue/medprobe-units.js';
import { MedprobeError } from '../../util/errors.js';
import type { WorkerFlags } from '../commands/worker.js';

export async function workerCommand(o: WorkerFlags): Promise<void> {
  const concurrency = Number(o.concurrency);
  const lockMs = Number(o.lockMs);
  if (!Number.isInteger(concurrency) || concurrency <= 0) throw new MedprobeError(`--concurrency ${o.concurrency} is not a positive integer`, { hint: 'e.g. --concurrency 2' });
  if (!Number.isInteger(lockMs) || lockMs < 1000) throw new MedprobeError(`--lock-ms ${o.lockMs} must be an integer ≥ 1000`, { hint: 'the default 30000 suits most models' });
  const kinds = o.only ? [o.only] : [...MEDPROBE_UNIT_KINDS];
  const worker = await startUnitWorker({ url: o.queue, prefix: o.queueName, kinds, handlers: medprobeHandlers(), concurrency, lockMs, name: o.name });
  process.stderr.write(`worker ${worker.name} ready on ${o.queue} (${kinds.join(', ')}); Ctrl-C finishes the units in flight, twice stops now\n`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) process.exit(130); // units in flight go back to the queue via stalled-job recovery
      stopping = true;
      process.stderr.write(`worker ${worker.name}: finishing units in flight…\n`);
      void worker.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
