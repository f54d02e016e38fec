import { loadSuite } from '../../run/suite.js';
import { requireSuiteData } from '../../run/preflight.js';
import { planSuite, runSuite } from '../../run/runner.js';
import { buildPlan, describePlan } from '../../run/plan.js';
import { RunResources, resolveRunLocation } from '../../run/resources.js';
import { loadResults } from '../../results/store.js';
import { MedprobeError } from '../../util/errors.js';
import { printLeaderboardFor } from './leaderboard.js';
import type { RunFlags } from '../commands/run.js';

export async function runCommand(file: string, o: RunFlags): Promise<void> {
  const suite = await loadSuite(file, { models: o.model, medmnistSize: o.size });
  const where = { cacheDir: o.cacheDir, resultsDir: o.out, verify: o.verify };
  await requireSuiteData(resolveRunLocation(suite, where));
  if (o.dryRun) {
    const plan = await planSuite({ suite, ...where, shardSize: o.shardSize });
    process.stdout.write(describePlan(plan).join('\n') + '\n');
    return;
  }
  if (o.queue) return runOnQueue(suite, o.queue, o);
  const summary = await runSuite({ suite, ...where, shardSize: o.shardSize });
  process.stderr.write(`features: ${summary.extractedSplits} split(s) extracted, ${summary.cachedSplits} from cache · results in ${summary.resultsDir}\n`);
  await printLeaderboardFor(summary.resultsDir, await loadResults(summary.resultsDir));
}

async function runOnQueue(suite: Awaited<ReturnType<typeof loadSuite>>, url: string, o: RunFlags): Promise<void> {
  const { runPlanOnQueue } = await import('../../run/queue/medprobe-units.js');
  const { checkRedis } = await import('../../run/queue/connection.js');
  await checkRedis(url); // before opening any model: a wrong URL fails in seconds
  const res = new RunResources(resolveRunLocation(suite, { cacheDir: o.cacheDir, resultsDir: o.out, verify: o.verify }));
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
  const summary = await runPlanOnQueue(plan, { url, prefix: o.queueName, log: (l) => process.stderr.write(l + '\n'), signal: stop.signal });
  process.off('SIGINT', onSigint);
  if (summary.aborted) process.exit(130);
  process.stderr.write(`features: ${summary.extractedSplits} split(s) extracted, ${summary.cachedSplits} from cache · results in ${summary.resultsDir}\n`);
  if (summary.results.length) await printLeaderboardFor(summary.resultsDir, await loadResults(summary.resultsDir));
  if (summary.failures.length) {
    for (const f of summary.failures) process.stderr.write(`failed: ${f.unit}: ${f.error}\n`);
    throw new MedprobeError(`${summary.failures.length} unit(s) failed on the queue (listed above); the others completed`, { hint: 'fix the input named in each error and rerun: finished units are not recomputed' });
  }
}
