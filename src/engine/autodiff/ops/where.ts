import { sumToShape, zeros } from '../broadcast.js';
import type { OpRule } from '../rule.js';
import { inferBroadcast } from './elementwise.js';

/** dX = dY where the condition picked X, 0 elsewhere (same for Y). */
export const Where: OpRule = {
  infer: (c) => {
    const [info] = inferBroadcast(c, (cond, a, b) => (cond ? a : b));
    return [{ ...info, type: c.ins[1].type }];
  },
  grad: ({ g, node, ins, outs, dy, needs }) => {
    const cond = node.input![0];
    const z = zeros(g, outs[0].dims);
    return [
      undefined,
      needs[1] ? sumToShape(g, g.op1('Where', [cond, dy[0]!, z]), outs[0].dims, ins[1].dims) : undefined,
      needs[2] ? sumToShape(g, g.op1('Where', [cond, z, dy[0]!]), outs[0].dims, ins[2].dims) : undefined,
    ];
  },
};
