import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

export const Exp: OpRule = {
  infer: (c) => inferUnary(c, Math.exp),
  grad: ({ g, node, dy }) => [g.op1('Mul', [dy[0]!, node.output![0]])],
};
