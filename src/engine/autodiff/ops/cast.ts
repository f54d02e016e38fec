import { ELEM_CODE, elemType, numel } from '../ir.js';
import type { OpRule } from '../rule.js';
import { SMALL } from './elementwise.js';

/** Float→float casts pass the gradient through; casts to integers (shape math) carry none. */
export const Cast: OpRule = {
  infer: (c) => {
    const type = elemType(c.attr<number>('to', ELEM_CODE.float), `Cast ${c.node.name}`);
    const x = c.ins[0];
    const int = type === 'int64' || type === 'int32';
    const value = x.value && numel(x.dims) <= SMALL ? Array.from(x.value, (v) => (int ? Math.trunc(v) : type === 'bool' ? Number(v !== 0) : v)) : undefined;
    return [{ dims: [...x.dims], type, value: value && type === 'float' ? Float32Array.from(value) : value }];
  },
  grad: ({ dy, outs, fail }) => {
    if (outs[0].type !== 'float') fail('no gradient through a cast to a non-float type');
    return [dy[0]];
  },
};
