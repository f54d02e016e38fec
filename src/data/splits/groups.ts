import type { SplitItem } from './assignment.js';

/**
 * Sample ids grouped by patient, groups in order of first appearance. A sample without a patient id
 * is its own group, so splitting groups never separates one patient's images.
 */
export function groupByPatient(items: readonly SplitItem[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const it of items) {
    const key = it.patientId !== undefined && it.patientId !== '' ? `p:${it.patientId}` : `s:${it.id}`;
    const g = groups.get(key);
    if (g) g.push(it.id);
    else groups.set(key, [it.id]);
  }
  return [...groups.values()];
}
