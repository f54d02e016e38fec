import type { SplitName } from '../types.js';
import { SPLIT_NAMES } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import type { SplitAssignment } from './assignment.js';

export interface PatientOverlap {
  patientId: string;
  splits: SplitName[];
  /** Sample ids of this patient, per split. */
  ids: Partial<Record<SplitName, string[]>>;
}

/** Patients whose images appear in more than one split. `patientOf` maps a sample id to its patient (undefined: unknown). */
export function findPatientOverlap(assignment: SplitAssignment, patientOf: (id: string) => string | undefined): PatientOverlap[] {
  const byPatient = new Map<string, Partial<Record<SplitName, string[]>>>();
  for (const split of SPLIT_NAMES) {
    for (const id of assignment[split] ?? []) {
      const p = patientOf(id);
      if (p === undefined || p === '') continue;
      const e = byPatient.get(p) ?? {};
      (e[split] ??= []).push(id);
      byPatient.set(p, e);
    }
  }
  const out: PatientOverlap[] = [];
  for (const [patientId, ids] of byPatient) {
    const splits = SPLIT_NAMES.filter((s) => ids[s]);
    if (splits.length > 1) out.push({ patientId, splits, ids });
  }
  return out;
}

/** Throws one line naming the overlapping patient(s) and their splits. */
export function assertNoPatientOverlap(assignment: SplitAssignment, patientOf: (id: string) => string | undefined, where = 'the splits'): void {
  const o = findPatientOverlap(assignment, patientOf);
  if (o.length === 0) return;
  const shown = o.slice(0, 3).map((x) => `${x.patientId} (${x.splits.join(', ')})`).join('; ');
  throw new MedprobeError(`${o.length} patient(s) appear in more than one split of ${where}: ${shown}${o.length > 3 ? `; and ${o.length - 3} more` : ''}`, {
    hint: 'split by patient (randomPatientSplit) or fix the split column so each patient is in one split',
  });
}
