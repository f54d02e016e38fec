import { sumToShape } from '../broadcast.js';
import type { OpRule } from '../rule.js';
import { inferBroadcast } from './elementwise.js';

/** y = a^p: da = dy·p·a^(p−1). A trainable exponent has no rule here (exports never have one). */
export const Pow: OpRule = {
  infer: (c) => inferBroadcast(c, (a, b) => a ** b),
  grad: ({ g, node, ins, outs, dy, needs, fail }) => {
    if (needs[1]) fail('no gradient rule for the exponent of Pow');
    const [a, p] = node.input!;
    const pm1 = g.op1('Sub', [p, g.constFloat([1], [])]);
    const local = g.op1('Mul', [p, g.op1('Pow', [a, pm1])]);
    return [sumToShape(g, g.op1('Mul', [dy[0]!, local]), outs[0].dims, ins[0].dims), undefined];
  },
};
