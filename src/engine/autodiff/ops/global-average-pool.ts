import type { OpRule } from '../rule.js';

/** dX = dY spread evenly over the pooled spatial positions. */
export const GlobalAveragePool: OpRule = {
  infer: ({ ins }) => [{ dims: ins[0].dims.map((d, i) => (i < 2 ? d : 1)), type: ins[0].type }],
  grad: ({ g, ins, dy }) => {
    const x = ins[0].dims;
    const area = x.slice(2).reduce((a, b) => a * b, 1);
    return [g.op1('Expand', [g.op1('Mul', [dy[0]!, g.constFloat([1 / area], [])]), g.constInt64(x)])];
  },
};
