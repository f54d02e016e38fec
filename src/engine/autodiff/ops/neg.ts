import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

export const Neg: OpRule = {
  infer: (c) => inferUnary(c, (x) => -x),
  grad: ({ g, dy }) => [g.op1('Neg', [dy[0]!])],
};
