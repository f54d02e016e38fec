import { broadcastDims, sumToShape } from '../broadcast.js';
import type { OpRule } from '../rule.js';

/** Y = α·A′·B′ + β·C with A′ = transA ? Aᵀ : A (same for B). */
export const Gemm: OpRule = {
  infer: ({ ins, attr, fail }) => {
    const [a, b, c] = ins;
    const m = attr('transA', 0) ? a.dims[1] : a.dims[0];
    const n = attr('transB', 0) ? b.dims[0] : b.dims[1];
    if (c) {
      try {
        broadcastDims(c.dims, [m, n]);
      } catch {
        fail(`C [${c.dims}] does not broadcast to [${m},${n}]`);
      }
    }
    return [{ dims: [m, n], type: a.type }];
  },
  grad: ({ g, node, ins, dy, needs, attr }) => {
    const [a, b] = node.input!;
    const tA = attr('transA', 0);
    const tB = attr('transB', 0);
    const alpha = attr('alpha', 1);
    const beta = attr('beta', 1);
    const d = dy[0]!;
    const da = needs[0] ? (tA ? g.op1('Gemm', [b, d], { transA: tB, transB: 1, alpha: { f: alpha } }) : g.op1('Gemm', [d, b], { transB: tB ? 0 : 1, alpha: { f: alpha } })) : undefined;
    const db = needs[1] ? (tB ? g.op1('Gemm', [d, a], { transA: 1, transB: tA, alpha: { f: alpha } }) : g.op1('Gemm', [a, d], { transA: tA ? 0 : 1, alpha: { f: alpha } })) : undefined;
    let dc: string | undefined;
    if (needs[2]) {
      const summed = sumToShape(g, d, [ins[0].dims[tA ? 1 : 0], ins[1].dims[tB ? 0 : 1]], ins[2].dims);
      dc = beta === 1 ? summed : g.op1('Mul', [summed, g.constFloat([beta], [])]);
    }
    return [da, db, dc];
  },
};
