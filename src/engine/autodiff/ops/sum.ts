import { sumToShape } from '../broadcast.js';
import type { OpRule } from '../rule.js';
import { inferBroadcast } from './elementwise.js';

/** Variadic Sum: each input gets dY, summed back over its broadcast axes. */
export const Sum: OpRule = {
  infer: (c) => inferBroadcast(c, (...xs) => xs.reduce((a, b) => a + b, 0)),
  grad: ({ g, ins, outs, dy, needs }) => ins.map((x, i) => (needs[i] ? sumToShape(g, dy[0]!, outs[0].dims, x.dims) : undefined)),
};
