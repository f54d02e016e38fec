import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Add: gradients match finite differences, broadcasting both ways', async () => {
  await checkRule({ op: 'Add', inputs: [{ dims: [2, 3, 4] }, { dims: [4] }] });
  await checkRule({ op: 'Add', inputs: [{ dims: [2, 1, 4] }, { dims: [3, 1] }] });
});
