import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('MatMul: activation × Linear weight (2-D B) and batched attention products', async () => {
  await checkRule({ op: 'MatMul', inputs: [{ dims: [2, 3, 4] }, { dims: [4, 5] }] });
  await checkRule({ op: 'MatMul', inputs: [{ dims: [2, 2, 3, 4] }, { dims: [2, 2, 4, 3] }] });
  await checkRule({ op: 'MatMul', inputs: [{ dims: [2, 3, 4] }, { dims: [1, 4, 2] }] });
});
