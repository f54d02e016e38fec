import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

/** y = log(1 + eˣ): dx = dy·σ(x). Used by the binary cross-entropy head. */
export const Softplus: OpRule = {
  infer: (c) => inferUnary(c),
  grad: ({ g, node, dy }) => [g.op1('Mul', [dy[0]!, g.op1('Sigmoid', [node.input![0]])])],
};
