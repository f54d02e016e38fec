import type { SplitItem, SplitAssignment } from './assignment.js';
import { groupByPatient } from './groups.js';

/** numpy's round(): halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * `m` evenly spaced positions out of `n`: `np.arange(0, n, n / m).round()`, the reference study's
 * systematic sampling (e.g. 70 test patients of 233). Positions are unique and in order.
 */
export function systematicIndices(n: number, m: number): number[] {
  if (!(Number.isInteger(n) && Number.isInteger(m) && m >= 0 && m <= n)) throw new RangeError(`cannot pick ${m} of ${n} systematically`);
  if (m === 0) return [];
  const step = n / m;
  const out: number[] = [];
  const len = Math.ceil(n / step); // np.arange's length rule, float rounding included
  for (let i = 0; i < len; i++) out.push(roundHalfEven(i * step));
  return out;
}

/**
 * The reference study's split: `test` groups (patients, or samples without patient ids) are taken
 * systematically from all groups in their given order, then `val` groups systematically from the
 * rest; everything else is train. Deterministic — no seed.
 */
export function systematicSplit(items: readonly SplitItem[], counts: { test: number; val: number }): SplitAssignment {
  let groups = groupByPatient(items);
  const take = (m: number): string[][] => {
    const idx = new Set(systematicIndices(groups.length, m));
    const picked = groups.filter((_, i) => idx.has(i));
    groups = groups.filter((_, i) => !idx.has(i));
    return picked;
  };
  const test = take(counts.test).flat();
  const val = take(counts.val).flat();
  return { train: groups.flat(), val, test };
}
