import type { TaskInfo } from '../data/types.js';
import { evaluateClassification } from '../metrics/evaluate-classification.js';
import { MedprobeError } from '../util/errors.js';
import type { Candidate } from './types.js';

/** Any key evaluateClassification returns (auroc, accuracy, balancedAccuracy, macroF1, mcc, …). */
export type SelectionMetric = string;

/** AUROC for every task type by default (the reference study's choice); accuracy is selectable. */
export const DEFAULT_SELECTION_METRIC: SelectionMetric = 'auroc';

export function selectionScore(metric: SelectionMetric, task: TaskInfo, labels: Int32Array, scores: Float32Array): number | null {
  const all = evaluateClassification(task, labels, scores);
  if (!(metric in all)) {
    throw new MedprobeError(`unknown selection metric '${metric}'`, { hint: `use one of ${Object.keys(all).filter((k) => !k.includes('/')).join(', ')}` });
  }
  return all[metric];
}

/**
 * Index of the best candidate: highest score, first in grid order on ties (grids are listed
 * so that "first" is the conservative choice: smaller k, larger lr first as configured).
 * All-null scores mean the metric is undefined on val — an error, not a random pick.
 */
export function bestCandidate(candidates: readonly Candidate[], where: string, metric: string): number {
  let best = -1;
  for (let i = 0; i < candidates.length; i++) {
    const s = candidates[i].score;
    if (s === null || Number.isNaN(s)) continue;
    if (best < 0 || s > (candidates[best].score as number)) best = i;
  }
  if (best < 0) {
    // NaN scores come from heads that diverged (non-finite outputs), null from a metric the val split cannot define.
    const diverged = candidates.filter((c) => c.score !== null && Number.isNaN(c.score)).length;
    throw new MedprobeError(`${where}: ${metric} is ${diverged > 0 ? `NaN (diverged) for ${diverged} and undefined for ${candidates.length - diverged}` : `undefined for all ${candidates.length}`} candidate(s), so nothing can be selected`, {
      hint: diverged > 0
        ? 'the heads diverged: lower the learning rates in the suite (e.g. lr: [1e-2, 1e-3, 1e-4]) and check the features for extreme values'
        : 'the validation split needs both outcomes of every class/label; choose another selection metric or fix the split',
    });
  }
  return best;
}
