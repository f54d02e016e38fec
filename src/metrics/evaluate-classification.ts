import type { TaskInfo } from '../data/types.js';
import { labelWidth } from '../data/types.js';
import { MedprobeError } from '../util/errors.js';
import { binaryAuroc, meanDefined, multiLabelAuroc, oneVsRestAuroc, prepareBinaryAuroc, type MaybeMetric } from './auroc.js';
import { accuracy, balancedAccuracy, confusionMatrix, macroF1, mcc, type ConfusionMatrix } from './confusion.js';

/**
 * Classification metrics for every task type, in one call.
 *
 * Layout convention (the protocols produce exactly this; results files store it):
 * - labels: Int32Array row-major [n × labelWidth(task)] — one class index per row, or one 0/1
 *   per label for multi-label.
 * - scores: Float32Array row-major [n × scoreWidth]:
 *   - binary      → 1 column = P(positive), the positive class being class index 1.
 *                   (2 columns are accepted too; the last is used, as MedMNIST's y_score[:, -1].)
 *   - multi-class → C columns of class probabilities (any monotone scores work for AUROC;
 *     ordinal       accuracy etc. use the argmax). Ordinal is scored like multi-class, as MedMNIST does.
 *   - multi-label → L columns of per-label probabilities.
 *
 * Decisions follow MedMNIST's getACC exactly: binary predicts positive when P > 0.5 (strict);
 * multi-label predicts a label when P ≥ 0.5; multi-class takes the argmax (first maximum on ties,
 * like numpy).
 *
 * Keys returned: accuracy, balancedAccuracy, auroc, macroF1, mcc, and `auroc/<name>` per class
 * (multi-class, ordinal) or per label (multi-label). Single-label tasks match sklearn:
 * accuracy_score, balanced_accuracy_score, roc_auc_score (ovr, macro for multi-class),
 * f1_score(average='macro', zero_division=0), matthews_corrcoef. sklearn has no multi-label
 * accuracy/balanced accuracy/MCC, so for multi-label each is the mean over labels of the
 * binary metric of that label (accuracy: MedMNIST's definition); macroF1 is sklearn's
 * multi-label macro F1 (per-label F1 of the positive class, zero_division=0, averaged).
 */
export type ClassificationMetrics = Record<string, MaybeMetric>;

export const CLASSIFICATION_METRIC_KEYS = ['accuracy', 'balancedAccuracy', 'auroc', 'macroF1', 'mcc'] as const;

/** Binary tasks read P(positive) from this column of a row of `scoreWidth` values. */
function positiveColumn(scoreWidth: number): number {
  return scoreWidth - 1;
}

/** Validated shape of a (task, labels, scores) triple. */
export interface ClassificationShape {
  n: number;
  labelWidth: number;
  scoreWidth: number;
  /** Classes (single-label) or labels (multi-label). */
  k: number;
}

export function classificationShape(task: TaskInfo, labels: Int32Array, scores: Float32Array): ClassificationShape {
  const lw = labelWidth(task);
  const k = task.labels.length;
  if (task.type === 'binary' ? k !== 2 : k < 2 && task.type !== 'multi-label') {
    throw new MedprobeError(`task ${task.type} with ${k} class names`, { hint: 'binary tasks need exactly 2 class names, multi-class at least 2' });
  }
  if (labels.length % lw !== 0) {
    throw new MedprobeError(`${labels.length} label values is not a multiple of ${lw} labels per sample`, { hint: 'labels are row-major [n × labelWidth]' });
  }
  const n = labels.length / lw;
  const expected = task.type === 'binary' ? [1, 2] : [k];
  const scoreWidth = n === 0 ? expected[0] : scores.length / n;
  if (!expected.includes(scoreWidth)) {
    throw new MedprobeError(`${scores.length} scores for ${n} samples of a ${task.type} task; expected ${expected.join(' or ')} per sample`, {
      hint: 'binary: one P(positive) column; multi-class/ordinal: one column per class; multi-label: one column per label',
    });
  }
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new MedprobeError(`score ${i} is ${scores[i]}; metrics need finite scores`, { hint: 'check the model/head output for NaN or Inf' });
    }
  }
  const maxLabel = task.type === 'multi-label' ? 1 : k - 1;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0 || labels[i] > maxLabel) {
      throw new MedprobeError(`label value ${labels[i]} at position ${i} is outside 0..${maxLabel} for a ${task.type} task with ${k} ${task.type === 'multi-label' ? 'labels' : 'classes'}`, {
        hint: 'check that the dataset labels match the task’s class list',
      });
    }
  }
  return { n, labelWidth: lw, scoreWidth, k };
}

/**
 * The decision for each row: class index (single-label, length n) or 0/1 per label
 * (multi-label, row-major [n × L]), by MedMNIST's thresholds.
 */
export function classificationDecisions(task: TaskInfo, scores: Float32Array, shape: ClassificationShape): Int32Array {
  const { n, scoreWidth } = shape;
  if (task.type === 'binary') {
    const col = positiveColumn(scoreWidth);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = scores[i * scoreWidth + col] > 0.5 ? 1 : 0;
    return out;
  }
  if (task.type === 'multi-label') {
    const out = new Int32Array(scores.length);
    for (let i = 0; i < scores.length; i++) out[i] = scores[i] >= 0.5 ? 1 : 0;
    return out;
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < scoreWidth; c++) if (scores[i * scoreWidth + c] > scores[i * scoreWidth + best]) best = c;
    out[i] = best;
  }
  return out;
}

function strided(a: ArrayLike<number>, width: number, col: number, n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i * width + col];
  return out;
}

function positiveScores(scores: Float32Array, shape: ClassificationShape): Float32Array {
  if (shape.scoreWidth === 1) return scores;
  const out = new Float32Array(shape.n);
  const col = positiveColumn(shape.scoreWidth);
  for (let i = 0; i < shape.n; i++) out[i] = scores[i * shape.scoreWidth + col];
  return out;
}

/** Accuracy, balanced accuracy, macro F1, MCC from one confusion matrix (single-label) or one per label. */
function decisionMetrics(task: TaskInfo, cms: ConfusionMatrix[]): ClassificationMetrics {
  if (task.type !== 'multi-label') {
    const cm = cms[0];
    return { accuracy: accuracy(cm), balancedAccuracy: balancedAccuracy(cm), macroF1: macroF1(cm), mcc: mcc(cm) };
  }
  const positiveF1 = (cm: ConfusionMatrix): MaybeMetric => {
    const [, fp, fn, tp] = cm.counts;
    if (fp + fn + tp + cm.counts[0] === 0) return null;
    return 2 * tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  };
  return {
    accuracy: meanDefined(cms.map(accuracy)),
    balancedAccuracy: meanDefined(cms.map(balancedAccuracy)),
    macroF1: meanDefined(cms.map(positiveF1)),
    mcc: meanDefined(cms.map(mcc)),
  };
}

function withPerClass(task: TaskInfo, out: ClassificationMetrics, perClass: MaybeMetric[] | null): ClassificationMetrics {
  if (perClass) task.labels.forEach((name, c) => (out[`auroc/${name}`] = perClass[c]));
  return out;
}

export function evaluateClassification(task: TaskInfo, labels: Int32Array, scores: Float32Array): ClassificationMetrics {
  const shape = classificationShape(task, labels, scores);
  const { n, k } = shape;
  const decided = classificationDecisions(task, scores, shape);
  if (task.type === 'multi-label') {
    const cms = task.labels.map((_, l) => confusionMatrix(strided(labels, k, l, n), strided(decided, k, l, n), 2));
    const au = multiLabelAuroc(labels, scores, k);
    return withPerClass(task, { ...decisionMetrics(task, cms), auroc: au.macro }, au.perClass);
  }
  const cm = confusionMatrix(labels, decided, k);
  if (task.type === 'binary') {
    return { ...decisionMetrics(task, [cm]), auroc: binaryAuroc(labels, positiveScores(scores, shape)) };
  }
  const au = oneVsRestAuroc(labels, scores, k);
  return withPerClass(task, { ...decisionMetrics(task, [cm]), auroc: au.macro }, au.perClass);
}

/**
 * The same metrics prepared for many resamples of the same rows (bootstrap): sorting and
 * decisions happen once; `evaluate(counts)` scores the resample in which row i appears
 * counts[i] times, in O(n·k) without re-sorting. evaluate(all ones) equals evaluateClassification.
 */
export interface PreparedClassification {
  readonly n: number;
  /** Class index per row for single-label tasks (bootstrap strata); null for multi-label. */
  readonly strata: Int32Array | null;
  evaluate(counts: ArrayLike<number>): ClassificationMetrics;
}

export function prepareClassification(task: TaskInfo, labels: Int32Array, scores: Float32Array): PreparedClassification {
  const shape = classificationShape(task, labels, scores);
  const { n, k } = shape;
  const decided = classificationDecisions(task, scores, shape);
  const ones = (c: number) => (a: number) => (a === c ? 1 : 0);
  if (task.type === 'multi-label') {
    const truthCols = task.labels.map((_, l) => strided(labels, k, l, n));
    const decidedCols = task.labels.map((_, l) => strided(decided, k, l, n));
    const aurocs = task.labels.map((_, l) => {
      const col = new Float32Array(n);
      for (let i = 0; i < n; i++) col[i] = scores[i * k + l];
      return prepareBinaryAuroc(truthCols[l], col);
    });
    return {
      n,
      strata: null,
      evaluate(counts) {
        const cms = truthCols.map((t, l) => confusionMatrix(t, decidedCols[l], 2, counts));
        const perClass = aurocs.map((f) => f(counts));
        return withPerClass(task, { ...decisionMetrics(task, cms), auroc: meanDefined(perClass) }, perClass);
      },
    };
  }
  if (task.type === 'binary') {
    const auroc = prepareBinaryAuroc(labels, positiveScores(scores, shape));
    return {
      n,
      strata: labels,
      evaluate: (counts) => ({ ...decisionMetrics(task, [confusionMatrix(labels, decided, k, counts)]), auroc: auroc(counts) }),
    };
  }
  const aurocs = task.labels.map((_, c) => {
    const col = new Float32Array(n);
    for (let i = 0; i < n; i++) col[i] = scores[i * k + c];
    return prepareBinaryAuroc(Array.from(labels, ones(c)), col);
  });
  return {
    n,
    strata: labels,
    evaluate(counts) {
      const perClass = aurocs.map((f) => f(counts));
      return withPerClass(task, { ...decisionMetrics(task, [confusionMatrix(labels, decided, k, counts)]), auroc: meanDefined(perClass) }, perClass);
    },
  };
}
