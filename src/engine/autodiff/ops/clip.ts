import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

/** ReLU6 and friends: dX = dY where min < x < max (PyTorch's hardtanh convention). */
export const Clip: OpRule = {
  infer: (c) => {
    const lo = c.ins[1]?.value?.[0] ?? -Infinity;
    const hi = c.ins[2]?.value?.[0] ?? Infinity;
    return inferUnary(c, (x) => Math.min(Math.max(x, lo), hi));
  },
  grad: ({ g, node, dy, needs, fail }) => {
    if (needs[1] || needs[2]) fail('no gradient rule for trainable Clip bounds');
    const [x, lo, hi] = node.input!;
    let mask = '';
    const and = (m: string) => (mask = mask ? g.op1('And', [mask, m]) : m);
    if (lo) and(g.op1('Greater', [x, lo]));
    if (hi) and(g.op1('Less', [x, hi]));
    if (!mask) return [dy[0]];
    return [g.op1('Mul', [dy[0]!, g.op1('Cast', [mask], { to: 1 })])];
  },
};
