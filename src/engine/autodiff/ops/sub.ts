import { sumToShape } from '../broadcast.js';
import type { OpRule } from '../rule.js';
import { inferBroadcast } from './elementwise.js';

export const Sub: OpRule = {
  infer: (c) => inferBroadcast(c, (a, b) => a - b),
  grad: ({ g, ins, outs, dy, needs }) => [
    needs[0] ? sumToShape(g, dy[0]!, outs[0].dims, ins[0].dims) : undefined,
    needs[1] ? sumToShape(g, g.op1('Neg', [dy[0]!]), outs[0].dims, ins[1].dims) : undefined,
  ],
};
