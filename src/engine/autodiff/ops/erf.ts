import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

/** d erf(x) = 2/√π · exp(−x²). */
export const Erf: OpRule = {
  infer: (c) => inferUnary(c),
  grad: ({ g, node, dy }) => {
    const x = node.input![0];
    const e = g.op1('Exp', [g.op1('Neg', [g.op1('Mul', [x, x])])]);
    return [g.op1('Mul', [dy[0]!, g.op1('Mul', [e, g.constFloat([2 / Math.sqrt(Math.PI)], [])])])];
  },
};
