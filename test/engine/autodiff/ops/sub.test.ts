import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Sub: gradients match finite differences with broadcasting', async () => {
  await checkRule({ op: 'Sub', inputs: [{ dims: [2, 3] }, { dims: [2, 1] }] });
});
