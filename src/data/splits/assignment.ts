import type { DatasetSource, Sample, SplitName, SplitSource } from '../types.js';
import { SPLIT_NAMES, labelWidth } from '../types.js';
import { MedprobeError } from '../../util/errors.js';

/** Which sample ids go to which split. The portable form of a split (it is what split files hold). */
export type SplitAssignment = Partial<Record<SplitName, string[]>>;

/** One sample as the split functions see it: no pixels, only identity. */
export interface SplitItem {
  id: string;
  patientId?: string;
}

/** The dataset's own (official) splits as an assignment. */
export function officialSplits(ds: DatasetSource): SplitAssignment {
  const out: SplitAssignment = {};
  for (const name of SPLIT_NAMES) {
    const s = ds.splits[name];
    if (s) out[name] = [...s.ids];
  }
  return out;
}

/** Every sample of a dataset (all splits), in split order, for re-splitting. */
export function allItems(ds: DatasetSource): SplitItem[] {
  const items: SplitItem[] = [];
  for (const name of SPLIT_NAMES) {
    const s = ds.splits[name];
    if (!s) continue;
    s.ids.forEach((id, i) => items.push({ id, patientId: s.patientIds?.[i] }));
  }
  return items;
}

/**
 * A new DatasetSource whose splits follow `assignment`, drawing samples from all of `ds`'s splits.
 * Ids the dataset does not have are an error; ids not assigned anywhere are left out.
 */
export function applySplits(ds: DatasetSource, assignment: SplitAssignment): DatasetSource {
  const where = new Map<string, { split: SplitSource; index: number }>();
  for (const name of SPLIT_NAMES) {
    const s = ds.splits[name];
    if (s) s.ids.forEach((id, index) => where.set(id, { split: s, index }));
  }
  const width = labelWidth(ds.task);
  const splits: Partial<Record<SplitName, SplitSource>> = {};
  for (const name of SPLIT_NAMES) {
    const ids = assignment[name];
    if (!ids) continue;
    const refs = ids.map((id) => {
      const r = where.get(id);
      if (!r) throw new MedprobeError(`split '${name}' names sample '${id}', which dataset ${ds.name} does not have`, { hint: 'the split file belongs to another dataset or version' });
      return r;
    });
    const labels = new Int32Array(refs.length * width);
    refs.forEach((r, k) => labels.set(r.split.labels.subarray(r.index * width, (r.index + 1) * width), k * width));
    const hasPatients = refs.every((r) => r.split.patientIds !== undefined);
    splits[name] = {
      size: refs.length,
      labels,
      ids: [...ids],
      patientIds: hasPatients ? refs.map((r) => r.split.patientIds![r.index]) : undefined,
      get: (i: number): Promise<Sample> => {
        const r = refs[i];
        if (!r) return Promise.reject(new RangeError(`index ${i} outside split ${name} of size ${refs.length}`));
        return r.split.get(r.index);
      },
    };
  }
  return { name: ds.name, task: ds.task, dims: ds.dims, fingerprint: ds.fingerprint, files: ds.files, splits };
}
