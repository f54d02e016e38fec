import type { Command } from 'commander';
import { loadSuite } from '../../run/suite.js';
import { requireSuiteData } from '../../run/preflight.js';
import { planSuite, runSuite } from '../../run/runner.js';
import { describePlan } from '../../run/plan.js';
import { RunResources, resolveRunLocation } from '../../run/resources.js';
import { buildPlan } from '../../run/plan.js';
import { runPlanOnQueue } from '../../run/queue/medprobe-units.js';
import { checkRedis } from '../../run/queue/connection.js';
import { loadResults } from '../../results/store.js';
import { MedprobeError } from '../../util/errors.js';
import { printLeaderboardFor } from './leaderboard.js';

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new MedprobeError(`${flag} ${v} is not a positive integer`, { hint: `e.g. ${flag} 2048` });
    return n;
  };
}

export function registerRun(program: Command): void {
  program
    .command('run <suite>')
    .description('extract (or reuse cached) features and run every model × dataset × protocol of a suite')
    .option('--cache-dir <dir>', 'feature cache and downloads (default $MEDPROBE_CACHE or ~/.cache/medprobe)')
    .option('--results <dir>', 'where result JSONs go (default: the suite\'s resultsDir or results/ beside it)')
    .option('--model <path>', 'a model card or hub folder to run (repeatable; replaces the suite\'s models)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--size <n>', 'image size for every MedMNIST dataset of the suite: 28, 64, 128 or 224', (v: string) => {
      const n = Number(v);
      if (![28, 64, 128, 224].includes(n)) throw new MedprobeError(`--size must be 28, 64, 128 or 224, got '${v}'`);
      return n as 28 | 64 | 128 | 224;
    })
    .option('--dry-run', 'print the plan (units, cached vs to compute, estimated time) and run nothing')
    .option('--shard-size <n>', 'samples per extraction shard: the unit a killed run resumes from and workers share', positiveInt('--shard-size'))
    .option('--queue <url>', 'run the plan on workers through Redis (redis://host:port) instead of in this process; see `medprobe worker`')
    .option('--queue-name <prefix>', 'BullMQ queue-name prefix, to keep separate runs on one Redis apart', 'medprobe')
    .action(async (file: string, o: { model: string[]; size?: 28 | 64 | 128 | 224; cacheDir?: string; results?: string; dryRun?: boolean; shardSize?: number; queue?: string; queueName: string }) => {
      const suite = await loadSuite(file, { models: o.model, medmnistSize: o.size });
      await requireSuiteData(resolveRunLocation(suite, { cacheDir: o.cacheDir, resultsDir: o.results }));
      if (o.dryRun) {
        const plan = await planSuite({ suite, cacheDir: o.cacheDir, resultsDir: o.results, shardSize: o.shardSize });
        process.stdout.write(describePlan(plan).join('\n') + '\n');
        return;
      }
      if (o.queue) {
        await checkRedis(o.queue); // before opening any model: a wrong URL fails in seconds
        const res = new RunResources(resolveRunLocation(suite, { cacheDir: o.cacheDir, resultsDir: o.results }));
        let plan;
        try {
          plan = await buildPlan(res, { shardSize: o.shardSize });
        } finally {
          await res.close();
        }
        // Ctrl-C stops waiting only: queued units stay queued and workers finish what they hold.
        const stop = new AbortController();
        const onSigint = (): void => {
          process.stderr.write('\nstopped waiting; queued units keep running on the workers — rerun the same command to reattach\n');
          stop.abort();
        };
        process.once('SIGINT', onSigint);
        const summary = await runPlanOnQueue(plan, { url: o.queue, prefix: o.queueName, log: (l) => process.stderr.write(l + '\n'), signal: stop.signal });
        process.off('SIGINT', onSigint);
        if (summary.aborted) process.exit(130);
        process.stderr.write(`features: ${summary.extractedSplits} split(s) extracted, ${summary.cachedSplits} from cache · results in ${summary.resultsDir}\n`);
        if (summary.results.length) await printLeaderboardFor(summary.resultsDir, await loadResults(summary.resultsDir));
        if (summary.failures.length) {
          for (const f of summary.failures) process.stderr.write(`failed: ${f.unit}: ${f.error}\n`);
          throw new MedprobeError(`${summary.failures.length} unit(s) failed on the queue (listed above); the others completed`, { hint: 'fix the input named in each error and rerun: finished units are not recomputed' });
        }
        return;
      }
      const summary = await runSuite({ suite, cacheDir: o.cacheDir, resultsDir: o.results, shardSize: o.shardSize });
      process.stderr.write(`features: ${summary.extractedSplits} split(s) extracted, ${summary.cachedSplits} from cache · results in ${summary.resultsDir}\n`);
      await printLeaderboardFor(summary.resultsDir, await loadResults(summary.resultsDir));
    });
}
