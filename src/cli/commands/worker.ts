import type { Command } from 'commander';
import { startUnitWorker } from '../../run/queue/worker.js';
import { medprobeHandlers, MEDPROBE_UNIT_KINDS, type MedprobeUnitKind } from '../../run/queue/medprobe-units.js';
import { MedprobeError } from '../../util/errors.js';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('process run units (feature extraction shards, evaluations) from a Redis queue that `medprobe run --queue` fills')
    .requiredOption('--queue <url>', 'Redis URL, e.g. redis://host:6379')
    .option('--queue-name <prefix>', 'BullMQ queue-name prefix (as given to `run --queue-name`)', 'medprobe')
    .option('--concurrency <n>', 'units in flight per kind (extraction already uses every core)', '1')
    .option('--only <kind>', `take only one kind of unit: ${MEDPROBE_UNIT_KINDS.join(' or ')}`)
    .option('--lock-ms <ms>', 'job lock: a worker silent this long is presumed dead and its unit retried elsewhere', '30000')
    .option('--name <name>', 'name shown in `medprobe queue status` (default host:pid)')
    .action(async (o: { queue: string; queueName: string; concurrency: string; only?: string; lockMs: string; name?: string }) => {
      const concurrency = Number(o.concurrency);
      const lockMs = Number(o.lockMs);
      if (!Number.isInteger(concurrency) || concurrency <= 0) throw new MedprobeError(`--concurrency ${o.concurrency} is not a positive integer`, { hint: 'e.g. --concurrency 2' });
      if (!Number.isInteger(lockMs) || lockMs < 1000) throw new MedprobeError(`--lock-ms ${o.lockMs} must be an integer ≥ 1000`, { hint: 'the default 30000 suits most models' });
      if (o.only && !MEDPROBE_UNIT_KINDS.includes(o.only as MedprobeUnitKind)) throw new MedprobeError(`--only ${o.only}: unknown unit kind`, { hint: `use ${MEDPROBE_UNIT_KINDS.join(' or ')}` });
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
    });
}
