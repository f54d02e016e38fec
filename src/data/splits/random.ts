import type { SplitItem, SplitAssignment } from './assignment.js';
import { groupByPatient } from './groups.js';
import { createRng, deriveSeed, shuffleInPlace } from '../../util/random.js';
import { MedprobeError } from '../../util/errors.js';

/**
 * Seeded random split by patient: patients are shuffled (util/random, stream 'split-by-patient')
 * and dealt into train/val/test until each split holds its fraction of *images*. One patient's
 * images always land in one split. Same items + seed → same split on any machine.
 */
export function randomPatientSplit(items: readonly SplitItem[], fractions: { train: number; val: number; test: number }, seed: number): SplitAssignment {
  const { train, val, test } = fractions;
  const total = train + val + test;
  if (![train, val, test].every((f) => f >= 0) || !(total > 0)) {
    throw new MedprobeError(`split fractions ${train}/${val}/${test} are invalid`, { hint: 'give non-negative fractions that sum to 1, e.g. 0.7/0.1/0.2' });
  }
  const groups = groupByPatient(items);
  shuffleInPlace(groups, createRng(deriveSeed(seed, 'split-by-patient')));
  const n = items.length;
  const targetTest = Math.round((test / total) * n);
  const targetVal = Math.round((val / total) * n);
  const out: SplitAssignment = { train: [], val: [], test: [] };
  let inTest = 0;
  let inVal = 0;
  for (const g of groups) {
    // fill test first, then val; a group goes where it brings the count closest to the target
    if (inTest < targetTest && Math.abs(inTest + g.length - targetTest) <= Math.abs(inTest - targetTest)) {
      out.test!.push(...g);
      inTest += g.length;
    } else if (inVal < targetVal && Math.abs(inVal + g.length - targetVal) <= Math.abs(inVal - targetVal)) {
      out.val!.push(...g);
      inVal += g.length;
    } else out.train!.push(...g);
  }
  return out;
}
