import { numel, tensorInfo } from '../ir.js';
import type { TensorProto } from '../../../models/onnx/proto.js';
import type { OpRule } from '../rule.js';

export const ConstantOfShape: OpRule = {
  infer: ({ ins, attr, fail }) => {
    if (!ins[0].value) fail('the shape must be a constant');
    const dims = Array.from(ins[0].value!);
    const t = attr<TensorProto | undefined>('value', undefined);
    const fill = t ? tensorInfo(t) : { type: 'float' as const, value: [0] };
    const n = numel(dims);
    const value = n <= 4096 ? new Array<number>(n).fill(fill.value![0]) : undefined;
    return [{ dims, type: fill.type, value: value && fill.type === 'float' ? Float32Array.from(value) : value }];
  },
};
