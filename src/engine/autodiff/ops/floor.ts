import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

/** Shape arithmetic only (e.g. an interpolation's output size): no gradient. */
export const Floor: OpRule = { infer: (c) => inferUnary(c, Math.floor) };
export const Ceil: OpRule = { infer: (c) => inferUnary(c, Math.ceil) };
