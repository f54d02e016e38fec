import type { OpRule } from '../rule.js';

export const Range: OpRule = {
  infer: ({ ins, fail }) => {
    const [s, l, d] = ins.map((x) => x.value?.[0]);
    if (s === undefined || l === undefined || d === undefined) return fail('start/limit/delta must be constants');
    const n = Math.max(Math.ceil((l - s) / d), 0);
    const value = Array.from({ length: n }, (_, i) => s + i * d);
    return [{ dims: [n], type: ins[0].type, value: ins[0].type === 'float' ? Float32Array.from(value) : value }];
  },
};
