import { axisOf, type OpRule } from '../rule.js';
import { gradView } from './reshape-grad.js';

export const Squeeze: OpRule = {
  infer: ({ node, ins, attr, fail }) => {
    const x = ins[0];
    let axes = attr<number[] | undefined>('axes', undefined);
    if (!axes && node.input![1]) {
      if (!ins[1].value) fail('axes must be a constant');
      axes = Array.from(ins[1].value!);
    }
    const ax = axes ? axes.map((a) => axisOf(a, x.dims.length)) : x.dims.flatMap((d, i) => (d === 1 ? [i] : []));
    return [{ dims: x.dims.filter((_, i) => !ax.includes(i)), type: x.type, value: x.value }];
  },
  grad: gradView,
};
