import { MedprobeError } from '../util/errors.js';

/**
 * Binary AUROC as the Mann–Whitney U statistic with average ranks for ties, so it equals
 * sklearn.metrics.roc_auc_score on the same inputs, tied scores included.
 *
 * With positives and negatives grouped by equal score, sorted ascending, the U statistic
 * with average ranks is U = Σ_g P_g · (N_<g + N_g / 2): every positive beats the negatives
 * below it and gets half a point per tied negative. AUROC = U / (P · N). The sweep form is
 * the rank-sum formula R_pos − P(P+1)/2 rearranged; it keeps every term an integer (or a
 * half) so sums stay exact in doubles far beyond pixel-level n.
 */

/** AUROC is undefined without both classes: null, never NaN or 0, so callers cannot average it by accident. */
export type MaybeMetric = number | null;

function assertFinite(scores: ArrayLike<number>, what: string): void {
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new MedprobeError(`${what}: score ${i} is ${scores[i]}; AUROC needs finite scores`, {
        hint: 'check the model/head output for NaN or Inf (diverged training, empty features)',
      });
    }
  }
}

/**
 * AUROC from the scores of the positives and of the negatives. Sorts both arrays in place:
 * two native typed-array sorts (no comparator) are ~10× faster than an index argsort with a
 * comparator, which matters for pixel-level AUROC over millions of pixels.
 */
export function aurocOfSplit(pos: Float64Array | Float32Array, neg: Float64Array | Float32Array): MaybeMetric {
  const P = pos.length;
  const N = neg.length;
  if (P === 0 || N === 0) return null;
  pos.sort();
  neg.sort();
  let u = 0;
  let i = 0;
  let j = 0;
  while (i < P) {
    const v = pos[i];
    while (j < N && neg[j] < v) j++;
    let pCount = 0;
    while (i < P && pos[i] === v) {
      i++;
      pCount++;
    }
    let tied = 0;
    while (j + tied < N && neg[j + tied] === v) tied++;
    u += pCount * (j + tied / 2);
  }
  return u / (P * N);
}

/**
 * Binary AUROC. `truth[i]` is 1 (or any nonzero) for a positive, 0 for a negative;
 * `scores[i]` is higher for "more positive". Returns null when only one class is present.
 */
export function binaryAuroc(truth: ArrayLike<number>, scores: ArrayLike<number>): MaybeMetric {
  if (truth.length !== scores.length) {
    throw new MedprobeError(`binaryAuroc: ${truth.length} labels but ${scores.length} scores`, {
      hint: 'labels and scores must describe the same samples in the same order',
    });
  }
  assertFinite(scores, 'binaryAuroc');
  let P = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] !== 0) P++;
  const pos = new Float64Array(P);
  const neg = new Float64Array(truth.length - P);
  let a = 0;
  let b = 0;
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] !== 0) pos[a++] = scores[i];
    else neg[b++] = scores[i];
  }
  return aurocOfSplit(pos, neg);
}

/**
 * Binary AUROC prepared for many resamples of the same samples (bootstrap): the scores are
 * sorted once; each call then takes per-sample multiplicities `counts` (how many times each
 * row is drawn) and computes the U statistic of that resample in O(n), no re-sorting.
 * Duplicated rows are tied with themselves, which the tie groups handle exactly.
 */
export function prepareBinaryAuroc(truth: ArrayLike<number>, scores: ArrayLike<number>): (counts: ArrayLike<number>) => MaybeMetric {
  if (truth.length !== scores.length) {
    throw new MedprobeError(`prepareBinaryAuroc: ${truth.length} labels but ${scores.length} scores`, {
      hint: 'labels and scores must describe the same samples in the same order',
    });
  }
  assertFinite(scores, 'prepareBinaryAuroc');
  const n = truth.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => scores[x] - scores[y]);
  // groupEnd[j]: one past the last sorted position tied with position j (only read at group starts).
  const groupEnd = new Uint32Array(n);
  for (let j = n - 1; j >= 0; j--) {
    groupEnd[j] = j + 1 < n && scores[order[j + 1]] === scores[order[j]] ? groupEnd[j + 1] : j + 1;
  }
  const positive = new Uint8Array(n);
  for (let j = 0; j < n; j++) positive[j] = truth[order[j]] !== 0 ? 1 : 0;
  return (counts) => {
    if (counts.length !== n) throw new RangeError(`expected ${n} counts, got ${counts.length}`);
    let u = 0;
    let negBelow = 0;
    let P = 0;
    let j = 0;
    while (j < n) {
      const end = groupEnd[j];
      let p = 0;
      let q = 0;
      for (; j < end; j++) {
        const c = counts[order[j]];
        if (positive[j]) p += c;
        else q += c;
      }
      u += p * (negBelow + q / 2);
      negBelow += q;
      P += p;
    }
    if (P === 0 || negBelow === 0) return null;
    return u / (P * negBelow);
  };
}

/** Per-class one-vs-rest AUROCs and their macro mean. */
export interface PerClassAuroc {
  perClass: MaybeMetric[];
  /**
   * Mean of the defined per-class AUROCs. With every class present this is exactly
   * sklearn roc_auc_score(multi_class='ovr', average='macro') and MedMNIST's getAUC;
   * where a class is absent from the labels (sklearn and MedMNIST raise) that class is
   * null and the mean runs over the rest; null when no class is defined.
   */
  macro: MaybeMetric;
}

export function meanDefined(values: readonly MaybeMetric[]): MaybeMetric {
  let s = 0;
  let k = 0;
  for (const v of values) {
    if (v !== null) {
      s += v;
      k++;
    }
  }
  return k === 0 ? null : s / k;
}

function column(scores: ArrayLike<number>, width: number, c: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = scores[i * width + c];
  return out;
}

/**
 * One-vs-rest AUROC for single-label multi-class data: class c's positives are the rows whose
 * label is c, scored by column c of `scores` (row-major [n × numClasses]). MedMNIST scores
 * multi-class and ordinal tasks this way; the scores need not sum to 1.
 */
export function oneVsRestAuroc(classIndex: ArrayLike<number>, scores: ArrayLike<number>, numClasses: number): PerClassAuroc {
  const n = classIndex.length;
  if (scores.length !== n * numClasses) {
    throw new MedprobeError(`oneVsRestAuroc: ${scores.length} scores for ${n} samples × ${numClasses} classes`, {
      hint: 'pass one probability column per class, row-major',
    });
  }
  const perClass: MaybeMetric[] = [];
  for (let c = 0; c < numClasses; c++) {
    const truth = new Uint8Array(n);
    for (let i = 0; i < n; i++) truth[i] = classIndex[i] === c ? 1 : 0;
    perClass.push(binaryAuroc(truth, column(scores, numClasses, c, n)));
  }
  return { perClass, macro: meanDefined(perClass) };
}

/**
 * Multi-label AUROC as MedMNIST's getAUC: per label, the AUROC of column l against the 0/1
 * column l of `labels` (both row-major [n × numLabels]); the macro mean averages the labels.
 */
export function multiLabelAuroc(labels: ArrayLike<number>, scores: ArrayLike<number>, numLabels: number): PerClassAuroc {
  if (labels.length !== scores.length || labels.length % numLabels !== 0) {
    throw new MedprobeError(`multiLabelAuroc: ${labels.length} labels and ${scores.length} scores for ${numLabels} labels per sample`, {
      hint: 'pass one 0/1 label and one score per label, row-major',
    });
  }
  const n = labels.length / numLabels;
  const perClass: MaybeMetric[] = [];
  for (let l = 0; l < numLabels; l++) perClass.push(binaryAuroc(column(labels, numLabels, l, n), column(scores, numLabels, l, n)));
  return { perClass, macro: meanDefined(perClass) };
}
