import { tensorInfo } from '../ir.js';
import type { TensorProto } from '../../../models/onnx/proto.js';
import type { OpRule } from '../rule.js';

export const Constant: OpRule = {
  infer: ({ attr, fail }) => {
    const t = attr<TensorProto | undefined>('value', undefined);
    if (t) return [tensorInfo(t)];
    const f = attr<number | undefined>('value_float', undefined);
    if (f !== undefined) return [{ dims: [], type: 'float', value: Float32Array.of(f) }];
    const fs = attr<number[] | undefined>('value_floats', undefined);
    if (fs) return [{ dims: [fs.length], type: 'float', value: Float32Array.from(fs) }];
    const i = attr<number | undefined>('value_int', undefined);
    if (i !== undefined) return [{ dims: [], type: 'int64', value: [i] }];
    const is = attr<number[] | undefined>('value_ints', undefined);
    if (is) return [{ dims: [is.length], type: 'int64', value: is }];
    return fail('unsupported Constant attribute');
  },
};
