import { loadSuite } from '../../run/suite.js';
import { requireSuiteData } from '../../run/preflight.js';
import { planSuite, runSuite, type RunSummary } from '../../run/runner.js';
import { buildPlan, describePlan, estimateSeconds, type PlannedBatch, type RunPlan } from '../../run/plan.js';
import { RunResources, resolveRunLocation } from '../../run/resources.js';
import { loadResults } from '../../results/store.js';
import { MedprobeError } from '../../util/errors.js';
import { requireWritableFolder } from '../../util/output-folder.js';
import { printLeaderboardFor } from './leaderboard.js';
import type { RunFlags } from '../commands/run.js';

export async function runCommand(file: string, o: RunFlags): Promise<void> {
  const suite = await loadSuite(file, { models: o.model, medmnistSize: o.size, protocols: o.protocols });
  if (o.batchSize !== undefined) suite.suite.batchSize = o.batchSize;
  if (o.precision !== undefined) suite.suite.precision = o.precision;
  const where = { cacheDir: o.cacheDir, resultsDir: o.out, verify: o.verify, limit: o.limit };
  const location = resolveRunLocation(suite, where);
  await requireSuiteData(location);
  await requireWritableFolder(location.cacheDir, 'cacheDir');
  await requireWritableFolder(location.resultsDir, 'resultsDir');
  if (o.dryRun) {
    const plan = await planSuite({ suite, ...where, shardSize: o.shardSize });
    process.stdout.write(o.json ? JSON.stringify(planJson(plan), null, 2) + '\n' : describePlan(plan).join('\n') + '\n');
    return;
  }
  if (o.queue) return runOnQueue(suite, o.queue, o);
  const summary = await runSuite({ suite, ...where, shardSize: o.shardSize });
  process.stderr.write(`features: ${summary.extractedSplits} split(s) extracted, ${summary.cachedSplits} from cache · results in ${summary.resultsDir}\n`);
  if (o.json) {
    process.stdout.write(JSON.stringify(runJson(summary), null, 2) + '\n');
    return;
  }
  await printLeaderboardFor(summary.resultsDir, await loadResults(summary.resultsDir));
}

/** `run --dry-run --json`: what is cached, what is left and the estimates, per unit. */
function planJson(plan: RunPlan): unknown {
  const est = estimateSeconds(plan);
  return {
    suite: plan.location.suite.name,
    cacheDir: plan.location.cacheDir,
    resultsDir: plan.location.resultsDir,
    ...(plan.location.limit ? { limit: plan.location.limit } : {}),
    memoryBudget: { bytes: plan.memoryBudget.bytes, source: plan.memoryBudget.source },
    models: plan.models.map((m) => ({ name: m.name, imagesPerSecond: m.imagesPerSecond ?? null, throughputSource: m.throughputSource ?? null, batch: batchJson(m.batch), ...(m.segBatch ? { segBatch: batchJson(m.segBatch) } : {}) })),
    extract: plan.extract.map((u) => ({ model: u.modelName, dataset: u.datasetName, split: u.split, shard: u.shard.index, start: u.shard.start, end: u.shard.end, inputs: u.images, cached: u.cached })),
    eval: plan.eval.map((u) => ({ model: u.modelName, dataset: u.datasetName, protocol: u.protocol, key: u.key, done: u.done, estimatedSeconds: u.estimate?.seconds ?? null, estimateBasis: u.estimate?.basis ?? null })),
    skipped: plan.skipped,
    estimate: { extractionSeconds: est.unknownModels.length ? null : est.seconds, noHistoryModels: est.unknownModels, evaluationSeconds: est.evalSeconds, evaluationUnitsWithoutHistory: est.unknownEvals },
  };
}

function batchJson(b: PlannedBatch): unknown {
  return { size: b.batchSize, source: b.source, expectedPeakBytes: b.expectedPeakBytes ?? null, overBudget: b.overBudget, basis: b.basis ?? null };
}

/** `run --json`: each result's file, whether it was reused, and its test metrics. */
function runJson(summary: RunSummary): unknown {
  return {
    resultsDir: summary.resultsDir,
    extractedSplits: summary.extractedSplits,
    cachedSplits: summary.cachedSplits,
    results: summary.results.map((r) => ({ file: r.file, model: r.result.model.name, dataset: r.result.dataset.name, protocol: r.result.protocol.name, reused: r.reused, metrics: r.result.metrics })),
  };
}

async function runOnQueue(suite: Awaited<ReturnType<typeof loadSuite>>, url: string, o: RunFlags): Promise<void> {
  const { runPlanOnQueue } = await import('../../run/queue/medprobe-units.js');
  const { checkRedis } = await import('../../run/queue/connection.js');
  await checkRedis(url); // before opening any model: a wrong URL fails in seconds
  const res = new RunResources(resolveRunLocation(suite, { cacheDir: o.cacheDir, resultsDir: o.out, verify: o.verify, limit: o.limit }));
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
