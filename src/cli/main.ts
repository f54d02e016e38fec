import { Command } from 'commander';
import { isMedprobeError } from '../util/errors.js';
import { runtimeVersions } from '../util/versions.js';
import { registerRun } from './commands/run.js';
import { registerQuickstart } from './commands/quickstart.js';
import { registerLeaderboard } from './commands/leaderboard.js';
import { registerData } from './commands/data.js';
import { registerReport } from './commands/report.js';
import { registerModels } from './commands/models.js';
import { registerWorker } from './commands/worker.js';
import { registerQueue } from './commands/queue.js';
import { registerSegment } from './commands/segment.js';

const program = new Command('medprobe')
  .description('Benchmark frozen vision foundation models on medical images')
  .version(runtimeVersions().medprobe)
  .showHelpAfterError('(run with --help for usage)');

registerRun(program);
registerQuickstart(program);
registerLeaderboard(program);
registerData(program);
registerReport(program);
registerModels(program);
registerWorker(program);
registerQueue(program);
registerSegment(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (isMedprobeError(e)) {
    process.stderr.write(`medprobe: error: ${e.oneLine()}\n`);
    if (process.env.MEDPROBE_DEBUG) console.error(e);
    process.exit(1);
  }
  process.stderr.write(`medprobe: unexpected error: ${(e as Error)?.message ?? e}\n`);
  if (process.env.MEDPROBE_DEBUG) console.error(e);
  else process.stderr.write('(set MEDPROBE_DEBUG=1 for the stack trace, and please report it)\n');
  process.exit(2);
}
