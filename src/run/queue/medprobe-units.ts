import { hashObject } from '../../util/hash.js';
import { createProgress } from '../../util/progress.js';
import { readResultFile } from '../../results/store.js';
import type { RunSummary } from '../local-runner.js';
import path from 'node:path';
import { FeatureCache } from '../../features/cache.js';
import { resultDone, type EvalUnit, type ExtractUnit, type RunPlan } from '../plan.js';
import { RunResources, type RunLocation } from '../resources.js';
import { executeEval, executeExtract } from '../units.js';
import { runUnitsOnQueue, type QueuedUnit } from './coordinator.js';
import type { UnitHandler } from './worker.js';

/**
 * The medprobe plan on the queue: extraction shards and evaluation units become BullMQ jobs
 * whose data carries everything a worker needs (suite, resolved paths, the unit), so workers
 * are stateless apart from the shared cache and results directories.
 */
export const MEDPROBE_UNIT_KINDS = ['extract', 'eval'] as const;
export type MedprobeUnitKind = (typeof MEDPROBE_UNIT_KINDS)[number];

interface ExtractJob {
  location: RunLocation;
  /** Runs at the planner's batch (`unit.batchSize`), chosen against the planner's memory budget. */
  unit: ExtractUnit;
}

interface EvalJob {
  location: RunLocation;
  unit: EvalUnit;
  /** The extraction shards of the unit's (model, dataset), to merge if their last worker died before merging. */
  extract: ExtractUnit[];
}

/** Handlers for `medprobe worker`: resources per suite location, models leased so concurrent units never lose their session. */
export function medprobeHandlers(): Record<MedprobeUnitKind, UnitHandler> {
  const resources = new Map<string, RunResources>();
  const resourcesFor = async (location: RunLocation): Promise<RunResources> => {
    const key = hashObject(location);
    // A worker serving a new suite frees the model sessions of idle earlier ones.
    for (const [k, r] of resources) if (k !== key && !r.busy) await r.releaseModel();
    let r = resources.get(key);
    if (!r) resources.set(key, (r = new RunResources(location)));
    return r;
  };
  return {
    extract: async (data) => {
      const job = data as ExtractJob;
      const res = await resourcesFor(job.location);
      await res.lease(job.unit.model);
      try {
        return await executeExtract(job.unit, res);
      } finally {
        res.unlease();
      }
    },
    eval: async (data) => {
      const job = data as EvalJob;
      const res = await resourcesFor(job.location);
      await res.lease(job.unit.model);
      try {
        const out = await executeEval(job.unit, res, job.extract);
        return { file: out.file, auroc: out.result.metrics.auroc ?? null };
      } finally {
        res.unlease();
      }
    },
  };
}

/** The plan's unfinished units as queue units; evaluation waits for its extraction shards. */
export function queuedUnitsOf(plan: RunPlan): QueuedUnit[] {
  const out: QueuedUnit[] = [];
  for (const unit of plan.extract) if (!unit.cached) out.push({ key: unit.key, kind: 'extract', data: { location: plan.location, unit } satisfies ExtractJob });
  for (const unit of plan.eval) {
    if (unit.done) continue;
    const extract = plan.extract.filter((u) => u.model === unit.model && u.dataset === unit.dataset);
    out.push({ key: unit.key, kind: 'eval', data: { location: plan.location, unit, extract } satisfies EvalJob, after: unit.dependsOn });
  }
  return out;
}

function describeUnit(u: QueuedUnit): string {
  const unit = (u.data as { unit: ExtractUnit | EvalUnit }).unit;
  if (unit.kind === 'extract') return `extract ${unit.modelName} · ${unit.datasetName}/${unit.split}${unit.shard.count > 1 ? ` shard ${unit.shard.index + 1}/${unit.shard.count}` : ''}`;
  return `eval    ${unit.modelName} · ${unit.datasetName} · ${unit.protocol}`;
}

export interface QueueRunSummary extends RunSummary {
  /** Units that failed for good, with the error their worker reported. */
  failures: { unit: string; error: string }[];
  /** The wait was stopped (Ctrl-C) before every unit finished; queued units keep running on workers. */
  aborted: boolean;
}

/**
 * Coordinator side of `medprobe run --queue`: enqueue the plan, show aggregate progress while
 * workers run it, then collect the results they wrote.
 */
export async function runPlanOnQueue(plan: RunPlan, opts: { url: string; prefix?: string; log: (line: string) => void; signal?: AbortSignal; attempts?: number; backoffMs?: number }): Promise<QueueRunSummary> {
  const units = queuedUnitsOf(plan);
  const byKey = new Map(units.map((u) => [u.key, u]));
  opts.log(`queue: ${units.length} unit(s) to run (${units.filter((u) => u.kind === 'extract').length} extraction shard(s), ${units.filter((u) => u.kind === 'eval').length} evaluation(s)); ${plan.extract.length + plan.eval.length - units.length} already done`);
  const progress = createProgress('queue', units.length, 'units');
  let finished = 0;
  const outcome = await runUnitsOnQueue(units, {
    url: opts.url,
    prefix: opts.prefix,
    signal: opts.signal,
    attempts: opts.attempts,
    backoffMs: opts.backoffMs,
    outputExists: async (u) => {
      const unit = (u.data as { unit: ExtractUnit | EvalUnit }).unit;
      if (unit.kind === 'eval') return resultDone(unit.resultFile, unit.key);
      const cache = new FeatureCache(path.join(plan.location.cacheDir, 'features'));
      const all = async (keys: Record<string, string>) => (await Promise.all(Object.values(keys).map((k) => cache.has(k)))).every(Boolean);
      return (await all(unit.featureKeys)) || (await all(unit.shardKeys));
    },
    onProgress: (p) => {
      if (!p.last) return;
      progress.tick();
      finished++;
      const u = byKey.get(p.last.key)!;
      if (!process.stderr.isTTY || !p.last.ok) {
        const how = p.last.ok ? ` on ${p.last.worker ?? '?'} in ${(p.last.seconds ?? 0).toFixed(1)} s` : `: ${p.last.detail}`;
        opts.log(`[${finished}/${units.length}] ${p.last.ok ? 'done  ' : 'FAILED'} ${describeUnit(u)}${how} · ${p.rate.toFixed(2)} units/s`);
      }
    },
  });
  progress.stop();

  const summary: QueueRunSummary = {
    resultsDir: plan.location.resultsDir,
    results: [],
    extractedSplits: 0,
    cachedSplits: 0,
    failures: [...outcome.failed].map(([k, error]) => ({ unit: describeUnit(byKey.get(k)!), error })),
    aborted: outcome.aborted,
  };
  const splits = new Map<string, boolean>();
  for (const u of plan.extract) splits.set(`${u.model}/${u.dataset}/${u.split}`, (splits.get(`${u.model}/${u.dataset}/${u.split}`) ?? true) && u.cached);
  for (const cached of splits.values()) cached ? summary.cachedSplits++ : summary.extractedSplits++;
  for (const u of plan.eval) {
    if (!u.done && !outcome.completed.has(u.key)) continue;
    summary.results.push({ file: u.resultFile, result: await readResultFile(u.resultFile), reused: u.done });
  }
  return summary;
}
