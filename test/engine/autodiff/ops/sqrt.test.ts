import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Sqrt: gradient matches finite differences', async () => {
  await checkRule({ op: 'Sqrt', inputs: [{ dims: [3, 4] }], positive: true });
});
