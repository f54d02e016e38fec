import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Where routes the gradient to the branch it picked', async () => {
  await checkRule({ op: 'Where', inputs: [{ bool: true, dims: [2, 3], values: [1, 0, 0, 1, 1, 0] }, { dims: [2, 3] }, { dims: [3] }] });
});
