import path from 'node:path';
import type { Result } from '../results/schema.js';
import { readResultFile } from '../results/store.js';
import type { RunPlan } from './plan.js';
import type { RunResources } from './resources.js';
import { executeEval, executeExtract } from './units.js';
import { RunProgress } from './run-progress.js';
import { protocolModule, type ProtocolName } from '../protocols/registry.js';

export interface RunSummary {
  resultsDir: string;
  results: { file: string; result: Result; reused: boolean }[];
  /** Splits whose features were extracted in this run vs read from the cache. */
  extractedSplits: number;
  cachedSplits: number;
}

/**
 * Execute a plan in this process, model by model (one model session open at a time): each
 * (model, dataset)'s missing extraction shards, then its evaluation units. Units already done
 * on disk are skipped, so a run killed at any point resumes from its last finished shard or
 * result; every write is atomic, so nothing half-written is ever taken for done.
 */
export async function runPlanLocally(plan: RunPlan, res: RunResources, opts: { log: (line: string) => void }): Promise<RunSummary> {
  const { log } = opts;
  const summary: RunSummary = { resultsDir: plan.location.resultsDir, results: [], extractedSplits: 0, cachedSplits: 0 };
  const run = new RunProgress(plan);
  const pairs = [...new Set([...plan.extract, ...plan.eval].map((u) => `${u.model}/${u.dataset}`))];
  for (const pair of pairs) {
    const extract = plan.extract.filter((u) => `${u.model}/${u.dataset}` === pair);
    const evals = plan.eval.filter((u) => `${u.model}/${u.dataset}` === pair);
    for (const split of ['train', 'val', 'test'] as const) {
      const shards = extract.filter((u) => u.split === split);
      if (shards.length === 0) continue;
      let seconds = 0;
      let computedShards = 0;
      for (const u of shards) {
        if (u.cached) continue;
        const out = await executeExtract(u, res, { run });
        seconds += out.seconds;
        if (!out.cached) computedShards++;
      }
      const computed = computedShards > 0;
      // Shards found on disk from an interrupted run still need their merge.
      if (shards[0].shard.count > 1 && shards.every((u) => u.cached)) await executeExtract(shards[shards.length - 1], res);
      const n = shards.reduce((a, u) => a + u.shard.end - u.shard.start, 0);
      if (shards.some((u) => !u.cached)) summary.extractedSplits++;
      else summary.cachedSplits++;
      const u = shards[0];
      log(`${computed ? 'extracted' : 'cached   '} ${u.modelName} · ${u.datasetName}/${split}: ${n} samples${computed ? ` in ${seconds.toFixed(1)} s` : ''}${shards.length > 1 ? ` (${computedShards === shards.length || !computed ? `${shards.length} shards` : `${computedShards} of ${shards.length} shards computed now, the rest resumed`})` : ''}${computed ? ` · ${run.describe()}` : ''}`);
    }
    for (const u of evals) {
      if (u.done) {
        summary.results.push({ file: u.resultFile, result: await readResultFile(u.resultFile), reused: true });
        log(`reused    ${u.modelName} · ${u.datasetName} · ${u.protocol} (${path.relative(process.cwd(), u.resultFile)})`);
        continue;
      }
      const out = await executeEval(u, res, extract);
      summary.results.push({ file: out.file, result: out.result, reused: false });
      run.evaluated(out.protocolSeconds);
      log(`done      ${u.modelName} · ${u.datasetName} · ${u.protocol}: test ${headline(u.protocol, out.result.metrics)} (${out.protocolSeconds.toFixed(1)} s) · ${run.describe()}`);
    }
  }
  return summary;
}

/** The protocol's main score (and accuracy, when it has one besides), for the progress line. */
function headline(protocol: ProtocolName, metrics: Record<string, number | null>): string {
  const main = protocolModule(protocol).mainScore;
  const names = main !== 'accuracy' && 'accuracy' in metrics ? [main, 'accuracy'] : [main];
  return names.map((k) => `${k} ${metrics[k] == null ? '—' : metrics[k]!.toFixed(4)}`).join(', ');
}
