import { meanDefined, type MaybeMetric } from './auroc.js';
import type { OverlapCounts } from './segmentation.js';

/**
 * What a class whose ground truth is EMPTY in a case (image or volume) scores:
 * - 'exclude' (default): nothing — the class is left out of that case's means (null) and listed
 *   in `emptyTruth`, whatever was predicted;
 * - 'penalise': a false positive scores 0; an empty prediction is still left out.
 * Never Dice 1: an empty-vs-empty "perfect" score hides a training/test mix-up.
 */
export type EmptyTruthPolicy = 'exclude' | 'penalise';

export interface CaseOverlap {
  /** Per class (index order; background null), Dice, Jaccard and their mean. */
  dice: MaybeMetric[];
  iou: MaybeMetric[];
  diceJaccard: MaybeMetric[];
  /** Means over the scored foreground classes. */
  meanDice: MaybeMetric;
  meanIoU: MaybeMetric;
  meanDiceJaccard: MaybeMetric;
  /** Foreground classes absent from this case's ground truth. */
  emptyTruth: number[];
}

/** One case's overlap scores from its counts (3D: counts summed over every slice of the volume). */
export function caseOverlap(c: OverlapCounts, policy: EmptyTruthPolicy): CaseOverlap {
  const dice: MaybeMetric[] = [null];
  const iou: MaybeMetric[] = [null];
  const emptyTruth: number[] = [];
  for (let k = 1; k < c.numClasses; k++) {
    if (c.gt[k] === 0) {
      emptyTruth.push(k);
      const v = policy === 'penalise' && c.pred[k] > 0 ? 0 : null;
      dice.push(v);
      iou.push(v);
      continue;
    }
    dice.push((2 * c.inter[k]) / (c.gt[k] + c.pred[k]));
    iou.push(c.inter[k] / (c.gt[k] + c.pred[k] - c.inter[k]));
  }
  const diceJaccard = dice.map((d, k) => (d === null || iou[k] === null ? null : (d + (iou[k] as number)) / 2));
  return { dice, iou, diceJaccard, meanDice: meanDefined(dice), meanIoU: meanDefined(iou), meanDiceJaccard: meanDefined(diceJaccard), emptyTruth };
}
