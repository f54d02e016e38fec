import { numel } from '../ir.js';
import type { OpRule } from '../rule.js';
import { gradView } from './reshape-grad.js';

export const Reshape: OpRule = {
  infer: ({ ins, attr, fail }) => {
    const [x, s] = ins;
    if (!s.value) fail('the target shape is not a constant for this input size');
    const allowZero = attr('allowzero', 0);
    const dims = Array.from(s.value!, (d: number, i: number) => (d === 0 && !allowZero ? x.dims[i] : d));
    const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const out = dims.map((d) => (d === -1 ? numel(x.dims) / known : d));
    if (numel(out) !== numel(x.dims) || out.some((d) => !Number.isInteger(d))) fail(`cannot reshape [${x.dims}] to [${Array.from(s.value!)}]`);
    return [{ dims: out, type: x.type, value: x.value }];
  },
  grad: gradView,
};
