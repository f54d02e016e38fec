import type { Command } from 'commander';
import { queueStatus, formatQueueStatus } from '../../run/queue/status.js';
import { MEDPROBE_UNIT_KINDS } from '../../run/queue/medprobe-units.js';

export function registerQueue(program: Command): void {
  const queue = program.command('queue').description('inspect the Redis queue that `medprobe run --queue` and `medprobe worker` share');
  queue
    .command('status')
    .description('units waiting / active / done / failed, per worker with throughput')
    .requiredOption('--queue <url>', 'Redis URL, e.g. redis://host:6379')
    .option('--queue-name <prefix>', 'BullMQ queue-name prefix', 'medprobe')
    .option('--json', 'machine-readable output')
    .action(async (o: { queue: string; queueName: string; json?: boolean }) => {
      const status = await queueStatus(o.queue, { prefix: o.queueName, kinds: MEDPROBE_UNIT_KINDS });
      process.stdout.write(o.json ? JSON.stringify(status, null, 2) + '\n' : formatQueueStatus(status).join('\n') + '\n');
    });
}
