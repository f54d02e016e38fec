import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Mul: gradients match finite differences (LayerScale-style [D] broadcast)', async () => {
  await checkRule({ op: 'Mul', inputs: [{ dims: [2, 3, 4] }, { dims: [4] }] });
  await checkRule({ op: 'Mul', inputs: [{ dims: [3, 4] }, { dims: [] }] });
});
