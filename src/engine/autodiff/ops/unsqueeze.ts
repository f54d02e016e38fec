import { axisOf, type OpRule } from '../rule.js';
import { gradView } from './reshape-grad.js';

export const Unsqueeze: OpRule = {
  infer: ({ node, ins, attr, fail }) => {
    const x = ins[0];
    let axes = attr<number[] | undefined>('axes', undefined);
    if (!axes) {
      if (!node.input![1] || !ins[1].value) fail('axes must be a constant');
      axes = Array.from(ins[1].value!);
    }
    const rank = x.dims.length + axes.length;
    const ax = axes.map((a) => axisOf(a, rank));
    const dims: number[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) dims.push(ax.includes(i) ? 1 : x.dims[k++]);
    return [{ dims, type: x.type, value: x.value }];
  },
  grad: gradView,
};
