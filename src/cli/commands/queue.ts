import type { Command } from 'commander';
import { jsonOption } from '../flags.js';

export function registerQueue(program: Command): void {
  const queue = program.command('queue').description('inspect the Redis queue that `medprobe run --queue` and `medprobe worker` share');
  jsonOption(
    queue
      .command('status')
      .description('units waiting / active / done / failed, per worker with throughput')
      .requiredOption('--queue <url>', 'Redis URL, e.g. redis://host:6379')
      .option('--queue-name <prefix>', 'BullMQ queue-name prefix', 'medprobe'),
  ).action(async (o: { queue: string; queueName: string; json?: boolean }) => {
    const { queueStatus, formatQueueStatus } = await import('../../run/queue/status.js');
    const { MEDPROBE_UNIT_KINDS } = await import('../../run/queue/medprobe-units.js');
    const status = await queueStatus(o.queue, { prefix: o.queueName, kinds: MEDPROBE_UNIT_KINDS });
    process.stdout.write(o.json ? JSON.stringify(status, null, 2) + '\n' : formatQueueStatus(status).join('\n') + '\n');
  });
}
