import { broadcastDims, broadcastIndex, sumToShape } from '../broadcast.js';
import { numel } from '../ir.js';
import type { OpRule } from '../rule.js';

export const Expand: OpRule = {
  infer: ({ ins, fail }) => {
    const [x, s] = ins;
    if (!s.value) fail('the target shape is not a constant for this input size');
    const dims = broadcastDims(x.dims, Array.from(s.value!));
    let value: number[] | undefined;
    if (x.value && numel(dims) <= 4096) {
      const ix = broadcastIndex(x.dims, dims);
      value = Array.from({ length: numel(dims) }, (_, i) => x.value![ix(i)]);
    }
    return [{ dims, type: x.type, value: value && x.type === 'float' ? Float32Array.from(value) : value }];
  },
  grad: ({ g, ins, outs, dy }) => [sumToShape(g, dy[0]!, outs[0].dims, ins[0].dims), undefined],
};
