import { sumToShape } from '../broadcast.js';
import type { OpRule } from '../rule.js';
import { inferBroadcast } from './elementwise.js';

export const Add: OpRule = {
  infer: (c) => inferBroadcast(c, (a, b) => a + b),
  grad: ({ g, ins, outs, dy, needs }) => ins.map((x, i) => (needs[i] ? sumToShape(g, dy[0]!, outs[0].dims, x.dims) : undefined)),
};
