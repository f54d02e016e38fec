/**
 * A queue worker with one trivial unit kind, `touch`, for the load and retry tests: it appends
 * its name to `<out>/<id>`, so a unit run twice shows as two lines. `fail: 'bad-input'` throws a
 * MedprobeError (must not be retried); `fail: 'flaky'` throws a plain error on its first two
 * attempts (must be retried, then succeed). `delayMs` makes a unit take that long (so a run can be stopped midway).
 * Usage: node --import tsx test/queue/touch-worker.ts <redis-url> <out-dir> <name>
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { startUnitWorker } from '../../src/run/queue/worker.js';
import { MedprobeError } from '../../src/util/errors.js';

const [url, outDir, name] = process.argv.slice(2);
const worker = await startUnitWorker({
  url,
  prefix: 'test',
  kinds: ['touch'],
  concurrency: 8,
  name,
  log: () => {},
  handlers: {
    touch: async (data, job) => {
      const { id, fail, delayMs } = data as { id: string; fail?: 'bad-input' | 'flaky'; delayMs?: number };
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      if (fail === 'bad-input') throw new MedprobeError(`unit ${id}: bad input file`, { hint: 'fix it' });
      if (fail === 'flaky' && job.attemptsMade < 2) throw new Error(`unit ${id}: transient failure ${job.attemptsMade + 1}`);
      await fs.appendFile(path.join(outDir, id), `${name}\n`);
      return id;
    },
  },
});
process.stdout.write(`ready ${name}\n`);
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
