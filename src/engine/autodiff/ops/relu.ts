import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

/** dx = dy where y > 0. */
export const Relu: OpRule = {
  infer: (c) => inferUnary(c, (x) => Math.max(0, x)),
  grad: ({ g, node, dy }) => {
    const mask = g.op1('Cast', [g.op1('Greater', [node.output![0], g.constFloat([0], [])])], { to: 1 });
    return [g.op1('Mul', [dy[0]!, mask])];
  },
};
