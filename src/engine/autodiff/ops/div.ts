import { sumToShape } from '../broadcast.js';
import type { OpRule } from '../rule.js';
import { inferBroadcast } from './elementwise.js';

/** y = a/b: da = dy/b, db = −dy·y/b. */
export const Div: OpRule = {
  infer: (c) => inferBroadcast(c, (a, b) => (c.ins[0].type === 'float' || c.ins[0].type === 'double' ? a / b : Math.trunc(a / b))),
  grad: ({ g, node, ins, outs, dy, needs }) => {
    const [, b] = node.input!;
    const y = node.output![0];
    const da = needs[0] || needs[1] ? g.op1('Div', [dy[0]!, b]) : '';
    return [
      needs[0] ? sumToShape(g, da, outs[0].dims, ins[0].dims) : undefined,
      needs[1] ? sumToShape(g, g.op1('Neg', [g.op1('Mul', [da, y])]), outs[0].dims, ins[1].dims) : undefined,
    ];
  },
};
