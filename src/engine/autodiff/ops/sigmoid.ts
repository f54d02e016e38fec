import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

/** dx = dy·y·(1 − y). */
export const Sigmoid: OpRule = {
  infer: (c) => inferUnary(c),
  grad: ({ g, node, dy }) => {
    const y = node.output![0];
    return [g.op1('Mul', [dy[0]!, g.op1('Mul', [y, g.op1('Sub', [g.constFloat([1], []), y])])])];
  },
};
