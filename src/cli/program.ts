/**
 * The CLI as a function: `runCli(argv)` parses the user's arguments (without `node` and the
 * script), runs one command and returns its exit code, so tests can drive it in-process.
 *
 * Startup stays fast (`--help`, `--version` well under half a second) because this file and
 * the command files import only commander and the flag vocabulary; each command loads its
 * heavy modules (ONNX Runtime, TF.js, jsdom, Plot, BullMQ) inside its action.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { isMedprobeError } from '../util/errors.js';
import { fsErrorToMedprobe } from '../util/fs-errors.js';
import { parseByteSize, setMemoryBudget } from '../util/memory-budget.js';
import { registerRun } from './commands/run.js';
import { registerQuickstart } from './commands/quickstart.js';
import { registerLeaderboard } from './commands/leaderboard.js';
import { registerData } from './commands/data.js';
import { registerReport } from './commands/report.js';
import { registerModels } from './commands/models.js';
import { registerWorker } from './commands/worker.js';
import { registerQueue } from './commands/queue.js';
import { registerSegment } from './commands/segment.js';
import { registerCache } from './commands/cache.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export function buildProgram(): Command {
  const program = new Command('medprobe')
    .description('Benchmark frozen vision foundation models on medical images')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    // Throw instead of process.exit, so runCli returns the code (subcommands inherit this).
    .exitOverride()
    // Every command: the most memory one file read (or one batch) may take; a file declaring more is refused.
    .option('--memory-budget <size>', 'memory a file read or batch may use, e.g. 4GB (default $MEDPROBE_MEMORY_BUDGET or half of available memory)', (v: string) => parseByteSize(v));
  program.hook('preAction', () => setMemoryBudget(program.opts().memoryBudget as number | undefined));
  registerQuickstart(program);
  registerRun(program);
  registerLeaderboard(program);
  registerReport(program);
  registerData(program);
  registerModels(program);
  registerSegment(program);
  registerWorker(program);
  registerQueue(program);
  registerCache(program);
  return program;
}

/** Run the CLI on `argv` (user arguments only) and return the exit code; errors are printed as one line on stderr. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // commander has already printed its own message (unknown option, --help, --version).
    if (e instanceof CommanderError) return e.exitCode;
    const known = isMedprobeError(e) ? e : fsErrorToMedprobe(e);
    if (known) {
      process.stderr.write(`medprobe: error: ${known.oneLine()}\n`);
      if (process.env.MEDPROBE_DEBUG) console.error(e);
      return 1;
    }
    process.stderr.write(`medprobe: unexpected error: ${(e as Error)?.message ?? e}\n`);
    if (process.env.MEDPROBE_DEBUG) console.error(e);
    else process.stderr.write('(set MEDPROBE_DEBUG=1 for the stack trace, and please report it)\n');
    return 2;
  }
}
