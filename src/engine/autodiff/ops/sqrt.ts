import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

/** y = √x: dx = dy / (2y). */
export const Sqrt: OpRule = {
  infer: (c) => inferUnary(c, Math.sqrt),
  grad: ({ g, node, dy }) => [g.op1('Div', [dy[0]!, g.op1('Mul', [node.output![0], g.constFloat([2], [])])])],
};
