import type { LoadedSuite } from './suite.js';
import { buildPlan, type RunPlan } from './plan.js';
import { runPlanLocally, type RunSummary } from './local-runner.js';
import { RunResources, resolveRunLocation } from './resources.js';

export type { RunSummary };

export interface RunOptions {
  suite: LoadedSuite;
  cacheDir?: string;
  resultsDir?: string;
  /** Re-read every data file instead of trusting cached content hashes. */
  verify?: boolean;
  /** At most this many samples per split (a quick check; results go to `<resultsDir>-limit-<n>` unless resultsDir is given). */
  limit?: number;
  /** Samples per extraction shard (default plan.ts DEFAULT_SHARD_SIZE): the granularity a killed run resumes at. */
  shardSize?: number;
  /** Progress lines (not results) go here; default stderr. */
  log?: (line: string) => void;
}

/**
 * The plan of a suite (what `--dry-run` prints); opens and closes the models to key it. Like a dry
 * run it reads only what planning needs: segmentation cases are checked when a run starts, not here.
 */
export async function planSuite(opts: RunOptions): Promise<RunPlan> {
  const res = new RunResources(resolveRunLocation(opts.suite, { cacheDir: opts.cacheDir, resultsDir: opts.resultsDir, verify: opts.verify, limit: opts.limit }));
  try {
    return await buildPlan(res, { shardSize: opts.shardSize, checkSegData: false });
  } finally {
    await res.close();
  }
}

/**
 * Run every (model × dataset × protocol) unit of a suite in this process: features come from
 * the cache or are extracted once (shard by shard); each unit writes one result JSON. Units
 * whose output already exists under the same key are reused, so an interrupted run resumes
 * where it stopped, with results identical to an uninterrupted one.
 */
export async function runSuite(opts: RunOptions): Promise<RunSummary> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const res = new RunResources(resolveRunLocation(opts.suite, { cacheDir: opts.cacheDir, resultsDir: opts.resultsDir, verify: opts.verify, limit: opts.limit }));
  try {
    const plan = await buildPlan(res, { shardSize: opts.shardSize });
    return await runPlanLocally(plan, res, { log });
  } finally {
    await res.close();
  }
}
