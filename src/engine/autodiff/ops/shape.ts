import type { OpRule } from '../rule.js';

/** The input's dims as a constant (fixed batch and resolution make every Shape static). */
export const Shape: OpRule = {
  infer: ({ ins, attr }) => {
    const dims = ins[0].dims;
    const r = dims.length;
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const value = dims.slice(norm(attr('start', 0)), norm(attr('end', r)));
    return [{ dims: [value.length], type: 'int64', value }];
  },
};
