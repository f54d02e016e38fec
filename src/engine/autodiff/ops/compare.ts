import type { OpRule } from '../rule.js';
import { inferBroadcast } from './elementwise.js';

/** Comparisons only ever feed shape arithmetic or masks: values when small, no gradient. */
export const Equal: OpRule = { infer: (c) => inferBroadcast(c, (a, b) => Number(a === b), 'bool') };
export const Less: OpRule = { infer: (c) => inferBroadcast(c, (a, b) => Number(a < b), 'bool') };
export const Greater: OpRule = { infer: (c) => inferBroadcast(c, (a, b) => Number(a > b), 'bool') };
