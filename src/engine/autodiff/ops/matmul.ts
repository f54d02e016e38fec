import { sumToShape } from '../broadcast.js';
import { broadcastDims } from '../broadcast.js';
import type { OpRule } from '../rule.js';

function swapLast(rank: number): number[] {
  const p = Array.from({ length: rank }, (_, i) => i);
  [p[rank - 2], p[rank - 1]] = [p[rank - 1], p[rank - 2]];
  return p;
}

/**
 * Y = A·B over the last two axes, batch axes broadcast. dA = dY·Bᵀ, dB = Aᵀ·dY, each summed
 * over broadcast batch axes; a 2-D B (a Linear weight) gets one GEMM over all rows of A.
 */
export const MatMul: OpRule = {
  infer: ({ ins, fail }) => {
    const [a, b] = ins;
    if (a.dims.length < 2 || b.dims.length < 2) fail('MatMul with a 1-D operand has no rule here');
    const [m, k] = a.dims.slice(-2);
    const [k2, n] = b.dims.slice(-2);
    if (k !== k2) fail(`inner dims differ: [${a.dims}] · [${b.dims}]`);
    return [{ dims: [...broadcastDims(a.dims.slice(0, -2), b.dims.slice(0, -2)), m, n], type: a.type }];
  },
  grad: ({ g, node, ins, outs, dy, needs }) => {
    const [a, b] = node.input!;
    const [ai, bi] = ins;
    const y = outs[0].dims;
    let da: string | undefined;
    let db: string | undefined;
    if (needs[0]) {
      const full = g.op1('MatMul', [dy[0]!, g.op1('Transpose', [b], { perm: swapLast(bi.dims.length) })]);
      da = sumToShape(g, full, [...y.slice(0, -2), ai.dims.at(-2)!, ai.dims.at(-1)!], ai.dims);
    }
    if (needs[1]) {
      if (bi.dims.length === 2) {
        const [k, n] = bi.dims;
        const a2 = g.op1('Reshape', [a, g.constInt64([-1, k])]);
        const d2 = g.op1('Reshape', [dy[0]!, g.constInt64([-1, n])]);
        db = g.op1('Gemm', [a2, d2], { transA: 1 });
      } else {
        const full = g.op1('MatMul', [g.op1('Transpose', [a], { perm: swapLast(ai.dims.length) }), dy[0]!]);
        db = sumToShape(g, full, [...y.slice(0, -2), bi.dims.at(-2)!, bi.dims.at(-1)!], bi.dims);
      }
    }
    return [da, db];
  },
};
