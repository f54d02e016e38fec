import { MedprobeError } from '../../util/errors.js';
import { createRng, deriveSeed, shuffleInPlace } from '../../util/random.js';

export interface FewShotItem {
  id: string;
  /** Class index (single-label tasks). */
  label: number;
  patientId?: string;
}

export interface FewShotOptions {
  /** Patients (or images, without patient ids) per class. */
  n: number;
  seed: number;
  /** A class with fewer than n patients: 'error' (default), 'skip-class' (leave it out), 'take-all'. Either way it is reported. */
  onTooFew?: 'error' | 'skip-class' | 'take-all';
}

export interface FewShotClassReport {
  label: number;
  /** Patients (or images) available for this class. */
  available: number;
  taken: number;
  note?: string;
}

export interface FewShotSample {
  ids: string[];
  perClass: FewShotClassReport[];
}

/**
 * Draw n patients per class — one image of that class from each — so few-shot sets never hold two
 * images of one patient. Without patient ids every image is its own patient. Each class has its own
 * seeded stream (`few-shot:<label>`): the draw for one class does not depend on the others, and the
 * same seed gives the same sample on any machine.
 */
export function fewShotSample(items: readonly FewShotItem[], opts: FewShotOptions): FewShotSample {
  const { n, seed } = opts;
  const onTooFew = opts.onTooFew ?? 'error';
  if (!(Number.isInteger(n) && n > 0)) throw new MedprobeError(`few-shot n must be a positive integer, got ${n}`, { hint: 'use e.g. n: 1, 5, 10' });
  // class → patient → image ids of that class, patients in first-appearance order
  const byClass = new Map<number, Map<string, string[]>>();
  for (const it of items) {
    if (!Number.isInteger(it.label) || it.label < 0) continue; // unlabelled/ignored samples are not drawable
    const patients = byClass.get(it.label) ?? new Map<string, string[]>();
    const key = it.patientId !== undefined && it.patientId !== '' ? `p:${it.patientId}` : `s:${it.id}`;
    (patients.get(key) ?? patients.set(key, []).get(key)!).push(it.id);
    byClass.set(it.label, patients);
  }
  const ids: string[] = [];
  const perClass: FewShotClassReport[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const groups = [...byClass.get(label)!.values()];
    const rng = createRng(deriveSeed(seed, `few-shot:${label}`));
    if (groups.length < n) {
      if (onTooFew === 'error') {
        throw new MedprobeError(`few-shot n=${n}: class ${label} has only ${groups.length} patient(s)/image(s)`, { hint: "lower n, or set onTooFew to 'skip-class' or 'take-all'" });
      }
      if (onTooFew === 'skip-class') {
        perClass.push({ label, available: groups.length, taken: 0, note: `skipped: fewer than n=${n} available` });
        continue;
      }
    }
    shuffleInPlace(groups, rng);
    const chosen = groups.slice(0, n);
    for (const g of chosen) ids.push(g[rng.int(g.length)]);
    perClass.push({ label, available: groups.length, taken: chosen.length, ...(chosen.length < n ? { note: `took all ${chosen.length}: fewer than n=${n} available` } : {}) });
  }
  return { ids, perClass };
}
