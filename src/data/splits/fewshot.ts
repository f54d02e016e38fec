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

export interface MultiLabelFewShotItem {
  id: string;
  /** Indices of the labels this image is positive for; empty for a "no finding" image. */
  positives: readonly number[];
  patientId?: string;
}

export interface MultiLabelFewShotSample {
  ids: string[];
  /** Per label (and, last, the no-finding group `label: -1`): patients available and drawn. */
  perLabel: FewShotClassReport[];
}

/**
 * Multi-label few-shot, per label (the study's Fig. 5 for NIH): for each label, n patients
 * with an image positive for it, one such image each; then n "no finding" patients (images
 * positive for no label), so every label also sees true negatives (left out where the split
 * has none). Each group draws from its
 * own seeded stream, independently of the others, and the union is returned: an image drawn
 * for two labels counts once, and a label can end up with more than n positives because other
 * labels' draws carry it too. A group with fewer than n patients is an error: the caller
 * decides whether that n is skipped.
 */
export function fewShotSampleMultiLabel(items: readonly MultiLabelFewShotItem[], labelCount: number, opts: { n: number; seed: number }): MultiLabelFewShotSample {
  const { n, seed } = opts;
  if (!(Number.isInteger(n) && n > 0)) throw new MedprobeError(`few-shot n must be a positive integer, got ${n}`, { hint: 'use e.g. n: 1, 5, 10' });
  const groups = multiLabelGroups(items, labelCount);
  const chosen = new Set<string>();
  const perLabel: FewShotClassReport[] = [];
  groups.forEach((patients, g) => {
    const label = g < labelCount ? g : -1;
    const pool = [...patients.values()];
    if (label < 0 && pool.length === 0) {
      perLabel.push({ label, available: 0, taken: 0, note: 'no image is negative for every label; the labels are each other\'s negatives' });
      return;
    }
    if (pool.length < n) {
      throw new MedprobeError(`few-shot n=${n}: ${label < 0 ? 'the no-finding group' : `label ${label}`} has only ${pool.length} patient(s)/image(s)`, { hint: 'lower n' });
    }
    const rng = createRng(deriveSeed(seed, label < 0 ? 'few-shot:none' : `few-shot:${label}`));
    shuffleInPlace(pool, rng);
    for (const images of pool.slice(0, n)) chosen.add(images[rng.int(images.length)]);
    perLabel.push({ label, available: pool.length, taken: n });
  });
  const order = new Map(items.map((it, i) => [it.id, i]));
  return { ids: [...chosen].sort((a, b) => order.get(a)! - order.get(b)!), perLabel };
}

/**
 * Drawable units per multi-label group: for label l, patient → that patient's images positive
 * for l; the last group is the no-finding images. Groups with no image at all (a label absent
 * from the split) are kept empty so their sizes can be reported.
 */
export function multiLabelGroups(items: readonly MultiLabelFewShotItem[], labelCount: number): Map<string, string[]>[] {
  const groups = Array.from({ length: labelCount + 1 }, () => new Map<string, string[]>());
  for (const it of items) {
    const key = it.patientId !== undefined && it.patientId !== '' ? `p:${it.patientId}` : `s:${it.id}`;
    for (const g of it.positives.length ? it.positives : [labelCount]) {
      const patients = groups[g];
      (patients.get(key) ?? patients.set(key, []).get(key)!).push(it.id);
    }
  }
  return groups;
}
