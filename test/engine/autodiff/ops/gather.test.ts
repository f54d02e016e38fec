import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Gather: scalar index (q/k/v from qkv, CLS token) and a 1-D index list with repeats', async () => {
  await checkRule({ op: 'Gather', inputs: [{ dims: [3, 2, 4] }, { int64: true, dims: [], values: [1] }], attrs: { axis: 0 } });
  await checkRule({ op: 'Gather', inputs: [{ dims: [2, 5, 3] }, { int64: true, dims: [], values: [0] }], attrs: { axis: 1 } });
  await checkRule({ op: 'Gather', inputs: [{ dims: [2, 5] }, { int64: true, values: [4, 0, 4] }], attrs: { axis: 1 } });
});
