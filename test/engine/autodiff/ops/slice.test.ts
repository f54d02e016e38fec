import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Slice with negative, clamped and multi-axis bounds', async () => {
  await checkRule({ op: 'Slice', inputs: [{ dims: [2, 5, 3] }, { int64: true, values: [1] }, { int64: true, values: [2 ** 31] }, { int64: true, values: [1] }] });
  await checkRule({ op: 'Slice', inputs: [{ dims: [4, 5] }, { int64: true, values: [1, -3] }, { int64: true, values: [3, -1] }, { int64: true, values: [0, 1] }] });
});
