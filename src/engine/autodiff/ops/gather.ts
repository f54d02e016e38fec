import { numel } from '../ir.js';
import { axisOf, type OpRule } from '../rule.js';

/**
 * Gather with constant indices. dX: a scalar index pads dY back into place along the axis;
 * a 1-D index list scatters dY through a one-hot matrix (repeated indices add up).
 */
export const Gather: OpRule = {
  infer: ({ ins, attr, fail }) => {
    const [x, idx] = ins;
    const axis = axisOf(attr('axis', 0), x.dims.length);
    const dims = [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)];
    let value: number[] | undefined;
    if (x.value && idx.value && x.dims.length === 1) {
      value = Array.from(idx.value!, (i: number) => x.value![i < 0 ? i + x.dims[0] : i]);
      if (value.some((v) => v === undefined)) fail('index out of range');
    }
    return [{ dims, type: x.type, value: value && x.type === 'float' ? Float32Array.from(value) : value }];
  },
  grad: ({ g, ins, dy, attr, fail }) => {
    const [x, idx] = ins;
    if (!idx.value) fail('no gradient rule for Gather with data-dependent indices');
    const rank = x.dims.length;
    const axis = axisOf(attr('axis', 0), rank);
    const dim = x.dims[axis];
    const indices = Array.from(idx.value!, (i: number) => (i < 0 ? i + dim : i));
    if (idx.dims.length === 0) {
      const pads = new Array<number>(2 * rank).fill(0);
      pads[axis] = indices[0];
      pads[rank + axis] = dim - indices[0] - 1;
      return [g.op1('Pad', [g.op1('Unsqueeze', [dy[0]!, g.constInt64([axis])]), g.constInt64(pads)]), undefined];
    }
    if (idx.dims.length !== 1) fail('no gradient rule for Gather with indices of rank > 1');
    // Move the gathered axis last, multiply by the [k, dim] one-hot, move it back.
    const k = indices.length;
    const oneHot = new Array<number>(k * dim).fill(0);
    indices.forEach((i, r) => (oneHot[r * dim + i] += 1));
    const perm = [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis), axis];
    const inv = new Array<number>(rank);
    perm.forEach((to, from) => (inv[to] = from));
    const moved = g.op1('Transpose', [dy[0]!], { perm });
    const scattered = g.op1('MatMul', [moved, g.constFloat(oneHot, [k, dim])]);
    if (numel(x.dims) === 0) fail('empty gather');
    return [g.op1('Transpose', [scattered], { perm: inv }), undefined];
  },
};
