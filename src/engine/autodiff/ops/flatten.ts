import { axisOf, type OpRule } from '../rule.js';
import { gradView } from './reshape-grad.js';

export const Flatten: OpRule = {
  infer: ({ ins, attr }) => {
    const x = ins[0];
    const axis = axisOf(attr('axis', 1), x.dims.length);
    const prod = (a: number[]) => a.reduce((p, d) => p * d, 1);
    return [{ dims: [prod(x.dims.slice(0, axis)), prod(x.dims.slice(axis))], type: x.type, value: x.value }];
  },
  grad: gradView,
};
