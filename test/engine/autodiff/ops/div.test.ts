import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Div: gradients match finite differences for numerator and denominator', async () => {
  await checkRule({ op: 'Div', inputs: [{ dims: [2, 3] }, { dims: [3] }], positive: true });
});
