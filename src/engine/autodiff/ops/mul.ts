import { sumToShape } from '../broadcast.js';
import type { OpRule } from '../rule.js';
import { inferBroadcast } from './elementwise.js';

/** d(a·b) = b·dy, a·dy, each summed back over the axes it was broadcast along. */
export const Mul: OpRule = {
  infer: (c) => inferBroadcast(c, (a, b) => a * b),
  grad: ({ g, node, ins, outs, dy, needs }) => {
    const [a, b] = node.input!;
    return [
      needs[0] ? sumToShape(g, g.op1('Mul', [dy[0]!, b]), outs[0].dims, ins[0].dims) : undefined,
      needs[1] ? sumToShape(g, g.op1('Mul', [dy[0]!, a]), outs[0].dims, ins[1].dims) : undefined,
    ];
  },
};
