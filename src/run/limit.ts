import type { DatasetSource, SplitSource, TaskInfo } from '../data/types.js';
import { labelWidth } from '../data/types.js';
import { hashObject } from '../util/hash.js';
import type { SegSource } from './seg-datasets.js';

/**
 * `run --limit n`: at most n samples per split, for a quick end-to-end check of a suite. The
 * subset is deterministic and, for single-label tasks, takes classes in turn (each class's
 * samples in file order) so every class present in the split stays present and AUROC stays
 * defined. Its fingerprint differs from the full dataset's, so no feature or result of a
 * limited run is ever taken for one of the full run.
 */
export function limitDataset(ds: DatasetSource, limit: number): DatasetSource {
  const splits: DatasetSource['splits'] = {};
  for (const [name, src] of Object.entries(ds.splits)) if (src) splits[name as keyof typeof splits] = src.size <= limit ? src : subsetSplit(src, limitIndices(src, ds.task, limit), labelWidth(ds.task));
  return { ...ds, fingerprint: hashObject({ dataset: ds.fingerprint, limit }), splits };
}

/** Indices of the subset, ascending: round-robin over classes for single-label tasks, the first n otherwise. */
export function limitIndices(src: SplitSource, task: TaskInfo, limit: number): Int32Array {
  if (task.type === 'multi-label') return Int32Array.from({ length: limit }, (_, i) => i);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < src.size; i++) {
    const c = src.labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const queues = [...byClass.entries()].sort(([a], [b]) => a - b).map(([, ix]) => ix);
  const picked: number[] = [];
  for (let round = 0; picked.length < limit; round++) for (const q of queues) if (round < q.length && picked.length < limit) picked.push(q[round]);
  return Int32Array.from(picked.sort((a, b) => a - b));
}

function subsetSplit(src: SplitSource, idx: Int32Array, width: number): SplitSource {
  const labels = new Int32Array(idx.length * width);
  idx.forEach((j, i) => labels.set(src.labels.subarray(j * width, (j + 1) * width), i * width));
  return {
    size: idx.length,
    labels,
    ids: Array.from(idx, (j) => src.ids[j]),
    ...(src.patientIds ? { patientIds: Array.from(idx, (j) => src.patientIds![j]) } : {}),
    ...(src.grid ? { grid: src.grid } : {}),
    get: (i) => src.get(idx[i]),
  };
}

/** `run --limit n` for a segmentation dataset: the first n images or volumes of each split (whole cases, never slices). */
export function limitSegDataset(seg: SegSource, limit: number): SegSource {
  const splits = Object.fromEntries(Object.entries(seg.splits).map(([k, items]) => [k, items.slice(0, limit)])) as SegSource['splits'];
  return { ...seg, fingerprint: hashObject({ dataset: seg.fingerprint, limit }), splits };
}
