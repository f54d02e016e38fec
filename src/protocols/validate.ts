import { labelWidth, type TaskInfo } from '../data/types.js';
import { MedprobeError } from '../util/errors.js';
import type { Matrix } from '../util/matrix.js';
import { matrixRows, type RowSource } from '../engine/rows.js';
import type { LabelledFeatures } from './types.js';

/** "pneumoniamnist/train", or just "train" when the dataset name is unknown. */
export function splitLabel(dataset: string | undefined, split: string): string {
  return dataset ? `${dataset}/${split}` : split;
}

/**
 * Reject NaN/Inf features up front: one bad row silently poisons every kNN similarity and
 * every SGD step after it. Lists the first few offending sample ids and the total count.
 * Streams a RowSource block by block, so disk-backed features are checked without loading them.
 */
export function assertFiniteFeatures(m: Matrix | RowSource, ids: readonly string[] | undefined, where: string, featureName?: string): void {
  const src = 'gather' in m ? m : matrixRows(m);
  const blockRows = 2048;
  const scratch = new Float32Array(Math.min(blockRows, Math.max(1, src.rows)) * src.cols);
  const bad: number[] = [];
  let count = 0;
  for (let s = 0; s < src.rows; s += blockRows) {
    const e = Math.min(src.rows, s + blockRows);
    const d = src.block(s, e, scratch);
    for (let i = 0; i < e - s; i++) {
      const base = i * src.cols;
      for (let j = 0; j < src.cols; j++) {
        if (!Number.isFinite(d[base + j])) {
          if (bad.length < 5) bad.push(s + i);
          count++;
          break;
        }
      }
    }
  }
  if (count === 0) return;
  const names = bad.map((i) => (ids && ids[i] !== undefined ? ids[i] : `#${i}`)).join(', ');
  throw new MedprobeError(
    `${where}: ${count} of ${src.rows} samples have NaN/Inf features${featureName ? ` (${featureName})` : ''}: ${names}${count > bad.length ? ', …' : ''}`,
    { hint: 'these images likely failed preprocessing (empty or constant image, bad windowing); fix or drop them and re-extract features' },
  );
}

/** Labels have the right length and every value is a valid class index (or 0/1 for multi-label). */
export function assertLabels(task: TaskInfo, labels: Int32Array, rows: number, where: string): void {
  const w = labelWidth(task);
  if (labels.length !== rows * w) {
    throw new MedprobeError(`${where}: ${labels.length} label values for ${rows} samples (expected ${rows * w})`, {
      hint: 'features and labels must come from the same split, in the same order',
    });
  }
  const max = task.type === 'multi-label' ? 2 : task.labels.length;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!(v >= 0 && v < max)) {
      throw new MedprobeError(`${where}: sample ${Math.floor(i / w)} has label ${v}, outside 0..${max - 1} for a ${task.type} task with ${task.labels.length} ${task.type === 'multi-label' ? 'labels' : 'classes'}`, {
        hint: 'check the dataset task definition (class list) against the label file',
      });
    }
  }
}

/**
 * A split a classifier is fitted on (or selected on) must show every outcome a head has to
 * separate: ≥2 classes, or both 0 and 1 in every multi-label column. Otherwise AUROC is
 * undefined and a probe silently learns a constant.
 */
export function assertBothOutcomes(task: TaskInfo, labels: Int32Array, where: string): void {
  if (task.type === 'multi-label') {
    const L = task.labels.length;
    const rows = labels.length / L;
    for (let l = 0; l < L; l++) {
      let pos = 0;
      for (let i = 0; i < rows; i++) pos += labels[i * L + l];
      if (pos === 0 || pos === rows) {
        throw new MedprobeError(`${where}: label column '${task.labels[l]}' has only ${pos === 0 ? 'negatives' : 'positives'} (${rows} samples)`, {
          hint: 'drop this label from the task, or use a split where it occurs both ways',
        });
      }
    }
    return;
  }
  const seen = new Set<number>();
  for (let i = 0; i < labels.length && seen.size < 2; i++) seen.add(labels[i]);
  if (seen.size < 2) {
    const only = labels.length ? task.labels[labels[0]] ?? String(labels[0]) : '(no samples)';
    throw new MedprobeError(`${where}: only one class present (${only}, ${labels.length} samples)`, {
      hint: 'a classifier needs at least two classes in this split; check the split files or the label column',
    });
  }
}

/** All checks a labelled split gets before a protocol touches it. */
export function validateSplit(task: TaskInfo, split: LabelledFeatures, where: string, opts: { needBothOutcomes?: boolean } = {}): void {
  assertLabels(task, split.labels, split.features.rows, where);
  assertFiniteFeatures(split.features, split.ids, where);
  if (opts.needBothOutcomes) assertBothOutcomes(task, split.labels, where);
}
