import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

/** dx = y ⊙ (dy − Σ_axis dy ⊙ y). Opset ≥ 13 semantics (one axis). */
export const Softmax: OpRule = {
  infer: (c) => inferUnary(c),
  grad: ({ g, node, dy, attr }) => {
    const y = node.output![0];
    const s = g.op1('ReduceSum', [g.op1('Mul', [dy[0]!, y]), g.constInt64([attr('axis', -1)])], { keepdims: 1 });
    return [g.op1('Mul', [y, g.op1('Sub', [dy[0]!, s])])];
  },
};
