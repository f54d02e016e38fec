import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('ReduceMean (axes attribute) and ReduceSum (axes input), with and without keepdims', async () => {
  await checkRule({ op: 'ReduceMean', inputs: [{ dims: [2, 3, 4] }], attrs: { axes: [-1], keepdims: 1 } });
  await checkRule({ op: 'ReduceMean', inputs: [{ dims: [2, 3, 4] }], attrs: { axes: [0, 2], keepdims: 0 } });
  await checkRule({ op: 'ReduceSum', inputs: [{ dims: [2, 3, 4] }, { int64: true, values: [1] }], attrs: { keepdims: 0 } });
  await checkRule({ op: 'ReduceSum', inputs: [{ dims: [2, 3] }], attrs: { keepdims: 1 } });
});
