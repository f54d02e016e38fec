import type { OpRule } from '../rule.js';

function permOf(attr: <T>(n: string, f: T) => T, rank: number): number[] {
  return attr('perm', Array.from({ length: rank }, (_, i) => rank - 1 - i));
}

/** dX = dY transposed by the inverse permutation. */
export const Transpose: OpRule = {
  infer: ({ ins, attr }) => {
    const x = ins[0];
    const p = permOf(attr, x.dims.length);
    return [{ dims: p.map((i) => x.dims[i]), type: x.type, value: x.dims.length <= 1 ? x.value : undefined }];
  },
  grad: ({ g, ins, dy, attr }) => {
    const p = permOf(attr, ins[0].dims.length);
    const inv = new Array<number>(p.length);
    p.forEach((to, from) => (inv[to] = from));
    return [g.op1('Transpose', [dy[0]!], { perm: inv })];
  },
};
