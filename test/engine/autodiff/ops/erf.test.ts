import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Erf (GELU’s core): gradient matches finite differences', async () => {
  await checkRule({ op: 'Erf', inputs: [{ dims: [3, 5] }] });
});
