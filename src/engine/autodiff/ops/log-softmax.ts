import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

/** y = x − logΣeˣ: dx = dy − eʸ ⊙ Σ_axis dy. */
export const LogSoftmax: OpRule = {
  infer: (c) => inferUnary(c),
  grad: ({ g, node, dy, attr }) => {
    const s = g.op1('ReduceSum', [dy[0]!, g.constInt64([attr('axis', -1)])], { keepdims: 1 });
    return [g.op1('Sub', [dy[0]!, g.op1('Mul', [g.op1('Exp', [node.output![0]]), s])])];
  },
};
