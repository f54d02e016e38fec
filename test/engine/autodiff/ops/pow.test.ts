import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Pow with a constant exponent (decomposed LayerNorm’s square)', async () => {
  await checkRule({ op: 'Pow', inputs: [{ dims: [2, 5] }, { dims: [], values: [2], fixed: true }] });
  await checkRule({ op: 'Pow', inputs: [{ dims: [4] }, { dims: [], values: [1.5], fixed: true }], positive: true });
});
