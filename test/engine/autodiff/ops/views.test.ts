import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Reshape with 0 and -1 entries', async () => {
  await checkRule({ op: 'Reshape', inputs: [{ dims: [2, 3, 4] }, { int64: true, values: [0, -1, 2] }] });
});
test('Flatten, Squeeze and Unsqueeze', async () => {
  await checkRule({ op: 'Flatten', inputs: [{ dims: [2, 3, 2] }], attrs: { axis: 1 } });
  await checkRule({ op: 'Squeeze', inputs: [{ dims: [2, 1, 3] }, { int64: true, values: [1] }] });
  await checkRule({ op: 'Unsqueeze', inputs: [{ dims: [2, 3] }, { int64: true, values: [0, 3] }] });
});
test('Transpose with the attention permutation', async () => {
  await checkRule({ op: 'Transpose', inputs: [{ dims: [2, 3, 2, 2] }], attrs: { perm: [2, 0, 3, 1] } });
});
test('Expand broadcasts and sums back', async () => {
  await checkRule({ op: 'Expand', inputs: [{ dims: [1, 1, 3] }, { int64: true, values: [2, 4, 3] }] });
});
