import type { Command } from 'commander';
import { withComputeFlags } from '../compute-flags.js';
import { oneOf } from '../flags.js';

export interface WorkerFlags {
  queue: string;
  queueName: string;
  concurrency: string;
  only?: 'extract' | 'eval';
  lockMs: string;
  name?: string;
}

export function registerWorker(program: Command): void {
  withComputeFlags(program.command('worker'))
    .description('process run units (feature extraction shards, evaluations) from a Redis queue that `medprobe run --queue` fills')
    .requiredOption('--queue <url>', 'Redis URL, e.g. redis://host:6379')
    .option('--queue-name <prefix>', 'BullMQ queue-name prefix (as given to `run --queue-name`)', 'medprobe')
    .option('--concurrency <n>', 'units in flight per kind (extraction already uses every core)', '1')
    .option('--only <kind>', 'take only one kind of unit: extract or eval', oneOf('--only', ['extract', 'eval'] as const))
    .option('--lock-ms <ms>', 'job lock: a worker silent this long is presumed dead and its unit retried elsewhere', '30000')
    .option('--name <name>', 'name shown in `medprobe queue status` (default host:pid)')
    .action(async (o: WorkerFlags) => (await import('../actions/worker.js')).workerCommand(o));
}
