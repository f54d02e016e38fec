import { MedprobeError } from '../util/errors.js';
import type { MaybeMetric } from './auroc.js';

/**
 * A confusion matrix over classes 0..numClasses−1: counts[t * numClasses + p] is the number
 * (or total weight) of samples of true class t predicted as p — rows true, columns predicted,
 * as sklearn.metrics.confusion_matrix. Float64 so bootstrap multiplicities can be added in.
 */
export interface ConfusionMatrix {
  numClasses: number;
  counts: Float64Array;
}

/** `weights[i]` (default 1) is how many times sample i counts; the bootstrap passes multiplicities. */
export function confusionMatrix(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
  weights?: ArrayLike<number>,
): ConfusionMatrix {
  if (truth.length !== predicted.length) {
    throw new MedprobeError(`confusionMatrix: ${truth.length} labels but ${predicted.length} predictions`, {
      hint: 'labels and predictions must describe the same samples in the same order',
    });
  }
  const counts = new Float64Array(numClasses * numClasses);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = predicted[i];
    if (!(t >= 0 && t < numClasses && Number.isInteger(t)) || !(p >= 0 && p < numClasses && Number.isInteger(p))) {
      throw new MedprobeError(`confusionMatrix: sample ${i} has label ${t} / prediction ${p}, outside classes 0..${numClasses - 1}`, {
        hint: 'check that the dataset labels match the task’s class list',
      });
    }
    counts[t * numClasses + p] += weights ? weights[i] : 1;
  }
  return { numClasses, counts };
}

function totals(cm: ConfusionMatrix): { trueSum: Float64Array; predSum: Float64Array; correct: number; total: number } {
  const C = cm.numClasses;
  const trueSum = new Float64Array(C);
  const predSum = new Float64Array(C);
  let correct = 0;
  let total = 0;
  for (let t = 0; t < C; t++) {
    for (let p = 0; p < C; p++) {
      const v = cm.counts[t * C + p];
      trueSum[t] += v;
      predSum[p] += v;
      total += v;
      if (t === p) correct += v;
    }
  }
  return { trueSum, predSum, correct, total };
}

/** Fraction correct (sklearn accuracy_score); null for no samples. */
export function accuracy(cm: ConfusionMatrix): MaybeMetric {
  const { correct, total } = totals(cm);
  return total === 0 ? null : correct / total;
}

/**
 * Mean per-class recall over the classes that occur in the truth, as sklearn
 * balanced_accuracy_score (which drops classes only predicted, with a warning).
 */
export function balancedAccuracy(cm: ConfusionMatrix): MaybeMetric {
  const C = cm.numClasses;
  const { trueSum } = totals(cm);
  let s = 0;
  let k = 0;
  for (let c = 0; c < C; c++) {
    if (trueSum[c] > 0) {
      s += cm.counts[c * C + c] / trueSum[c];
      k++;
    }
  }
  return k === 0 ? null : s / k;
}

/**
 * Per-class F1 = 2TP / (2TP + FP + FN). A class with no true and no predicted samples gets
 * null: sklearn's default label set (unique_labels of truth ∪ prediction) leaves it out.
 */
export function perClassF1(cm: ConfusionMatrix): MaybeMetric[] {
  const C = cm.numClasses;
  const { trueSum, predSum } = totals(cm);
  const out: MaybeMetric[] = [];
  for (let c = 0; c < C; c++) {
    const tp = cm.counts[c * C + c];
    const denom = trueSum[c] + predSum[c];
    out.push(denom === 0 ? null : (2 * tp) / denom);
  }
  return out;
}

/** sklearn f1_score(average='macro', zero_division=0) for single-label data; null for no samples. */
export function macroF1(cm: ConfusionMatrix): MaybeMetric {
  const f = perClassF1(cm).filter((v): v is number => v !== null);
  return f.length === 0 ? null : f.reduce((a, b) => a + b, 0) / f.length;
}

/**
 * Matthews correlation coefficient, multi-class form (Gorodkin's R_K), exactly as sklearn
 * matthews_corrcoef: (c·s − t·p) / sqrt((s² − t·t)(s² − p·p)), 0 when a factor is 0
 * (one class predicted or present only); null for no samples.
 */
export function mcc(cm: ConfusionMatrix): MaybeMetric {
  const { trueSum, predSum, correct, total } = totals(cm);
  if (total === 0) return null;
  let tp = 0;
  let tt = 0;
  let pp = 0;
  for (let c = 0; c < cm.numClasses; c++) {
    tp += trueSum[c] * predSum[c];
    tt += trueSum[c] * trueSum[c];
    pp += predSum[c] * predSum[c];
  }
  const covTP = correct * total - tp;
  const covTT = total * total - tt;
  const covPP = total * total - pp;
  if (covTT * covPP === 0) return 0;
  return covTP / Math.sqrt(covTT * covPP);
}
