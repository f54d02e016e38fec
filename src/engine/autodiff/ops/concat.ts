import { axisOf, type OpRule } from '../rule.js';

/** dX_i = the slice of dY that X_i filled. */
export const Concat: OpRule = {
  infer: ({ ins, attr, fail }) => {
    const rank = ins[0].dims.length;
    const axis = axisOf(attr('axis', 0), rank);
    const dims = [...ins[0].dims];
    dims[axis] = ins.reduce((s, x) => s + x.dims[axis], 0);
    for (const x of ins) if (x.dims.length !== rank || x.dims.some((d, i) => i !== axis && d !== dims[i])) fail(`inputs [${ins.map((i) => `[${i.dims}]`).join(' ')}] do not concatenate on axis ${axis}`);
    const value = rank === 1 && ins.every((x) => x.value) ? ins.flatMap((x) => Array.from(x.value!)) : undefined;
    return [{ dims, type: ins[0].type, value: value && ins[0].type === 'float' ? Float32Array.from(value) : value }];
  },
  grad: ({ g, ins, dy, needs, attr }) => {
    const axis = axisOf(attr('axis', 0), ins[0].dims.length);
    let start = 0;
    return ins.map((x, i) => {
      const s = start;
      start += x.dims[axis];
      return needs[i] ? g.op1('Slice', [dy[0]!, g.constInt64([s]), g.constInt64([s + x.dims[axis]]), g.constInt64([axis])]) : undefined;
    });
  },
};
