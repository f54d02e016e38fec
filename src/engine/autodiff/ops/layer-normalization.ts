import { sumToShape } from '../broadcast.js';
import { axisOf, type OpRule } from '../rule.js';

/**
 * Y = x̂·γ + β with x̂ = (X − μ)·r over the axes from `axis` on. Uses the forward node's own
 * saved mean and inverse std outputs:
 * dX = r·(g − mean(g) − x̂·mean(g·x̂)) with g = dY·γ; dγ = Σ dY·x̂; dβ = Σ dY.
 */
export const LayerNormalization: OpRule = {
  infer: ({ ins, attr }) => {
    const x = ins[0];
    const axis = axisOf(attr('axis', -1), x.dims.length);
    const stat = x.dims.map((d, i) => (i < axis ? d : 1));
    return [{ dims: [...x.dims], type: x.type }, { dims: stat, type: 'float' }, { dims: stat, type: 'float' }];
  },
  grad: ({ g, node, ins, dy, needs, attr, extraOutput }) => {
    const [x, scale] = node.input!;
    const dims = ins[0].dims;
    const axis = axisOf(attr('axis', -1), dims.length);
    const axes = dims.map((_, i) => i).filter((i) => i >= axis);
    const count = axes.reduce((p, i) => p * dims[i], 1);
    const mean = extraOutput(1);
    const rstd = extraOutput(2);
    const xhat = g.op1('Mul', [g.op1('Sub', [x, mean]), rstd]);
    const d = dy[0]!;
    const out: (string | undefined)[] = [undefined, undefined, undefined];
    if (needs[0]) {
      const gx = g.op1('Mul', [d, scale]);
      const inv = g.constFloat([1 / count], []);
      const m1 = g.op1('Mul', [g.op1('ReduceSum', [gx, g.constInt64(axes)], { keepdims: 1 }), inv]);
      const m2 = g.op1('Mul', [g.op1('ReduceSum', [g.op1('Mul', [gx, xhat]), g.constInt64(axes)], { keepdims: 1 }), inv]);
      out[0] = g.op1('Mul', [rstd, g.op1('Sub', [g.op1('Sub', [gx, m1]), g.op1('Mul', [xhat, m2])])]);
    }
    if (needs[1]) out[1] = sumToShape(g, g.op1('Mul', [d, xhat]), dims, ins[1].dims);
    if (needs[2]) out[2] = sumToShape(g, d, dims, ins[2].dims);
    return out;
  },
};
