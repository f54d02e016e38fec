import path from 'node:path';
import type { DatasetSource, SplitName } from '../data/types.js';
import { SPLIT_NAMES } from '../data/types.js';
import { allItems, applySplits, officialSplits, type SplitAssignment } from '../data/splits/assignment.js';
import { systematicSplit } from '../data/splits/systematic.js';
import { randomPatientSplit } from '../data/splits/random.js';
import { importSplits } from '../data/splits/file.js';
import { groupByPatient } from '../data/splits/groups.js';
import { assertNoPatientOverlap, findPatientOverlap, type PatientOverlap } from '../data/splits/overlap.js';
import { MedprobeError } from '../util/errors.js';
import type { SplitPolicy } from './dataset-entries.js';

export interface SplitOutcome {
  assignment: SplitAssignment;
  /** How the split was made, for the split file and the load report. */
  method: Record<string, unknown>;
}

/** The assignment a suite's split policy gives a dataset whose samples sit in its "official" splits. */
export async function splitAssignment(ds: DatasetSource, policy: SplitPolicy, opts: { baseDir: string; hasSplitColumn: boolean }): Promise<SplitOutcome> {
  if (policy === 'official') {
    if (!opts.hasSplitColumn) {
      throw new MedprobeError(`dataset ${ds.name}: splits: official needs a split column in the manifest`, {
        hint: 'set splitColumn, or choose splits: {systematic: …}, {random: …} or {file: splits.json}',
      });
    }
    return { assignment: officialSplits(ds), method: { official: true } };
  }
  const items = allItems(ds);
  if ('systematic' in policy) {
    const { every, val, test } = policy.systematic;
    const groups = groupByPatient(items).length;
    const counts = every ? { val: Math.round((groups * val) / every), test: Math.round((groups * test) / every) } : { val, test };
    if (counts.val + counts.test > groups) {
      throw new MedprobeError(`dataset ${ds.name}: systematic split wants ${counts.test} test + ${counts.val} val patients but there are ${groups}`, { hint: 'lower val/test' });
    }
    return { assignment: systematicSplit(items, counts), method: { systematic: { ...policy.systematic, patients: groups, ...counts } } };
  }
  if ('random' in policy) {
    const { seed, train, val, test } = policy.random;
    return { assignment: randomPatientSplit(items, { train, val, test }, seed), method: { random: policy.random } };
  }
  const file = path.resolve(opts.baseDir, policy.file);
  const sf = await importSplits(file, items.map((i) => i.id));
  return { assignment: sf.splits, method: { file, sha256: sf.sha256 } };
}

/** Patient of each sample id across all splits of a dataset (before re-splitting). */
export function patientLookup(ds: DatasetSource): (id: string) => string | undefined {
  const m = new Map<string, string>();
  for (const it of allItems(ds)) if (it.patientId !== undefined) m.set(it.id, it.patientId);
  return (id) => m.get(id);
}

/**
 * Apply a split policy and check patient overlap. `overlap: 'fail'` (runs) throws one line naming
 * the patients; 'report' (data check) returns them so the caller can print the full list.
 */
export async function splitDataset(
  ds: DatasetSource,
  policy: SplitPolicy,
  opts: { baseDir: string; hasSplitColumn: boolean; overlap: 'fail' | 'report' },
): Promise<{ dataset: DatasetSource; method: Record<string, unknown>; assignment: SplitAssignment; patientOverlap: PatientOverlap[] }> {
  const { assignment, method } = await splitAssignment(ds, policy, opts);
  const patientOf = patientLookup(ds);
  if (opts.overlap === 'fail') assertNoPatientOverlap(assignment, patientOf, `dataset ${ds.name}`);
  const patientOverlap = findPatientOverlap(assignment, patientOf);
  const present: SplitAssignment = {};
  for (const s of SPLIT_NAMES) if ((assignment[s]?.length ?? 0) > 0) present[s] = assignment[s];
  const missing = (['train', 'test'] as SplitName[]).filter((s) => !present[s]);
  if (missing.length > 0) {
    throw new MedprobeError(`dataset ${ds.name} has no ${missing.join(' or ')} samples after splitting (${JSON.stringify(method)})`, { hint: 'check the split column / split policy; protocols need train and test' });
  }
  return { dataset: policy === 'official' ? ds : applySplits(ds, present), method, assignment: present, patientOverlap };
}
