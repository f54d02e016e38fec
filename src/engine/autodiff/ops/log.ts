import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

export const Log: OpRule = {
  infer: (c) => inferUnary(c, Math.log),
  grad: ({ g, node, dy }) => [g.op1('Div', [dy[0]!, node.input![0]])],
};
