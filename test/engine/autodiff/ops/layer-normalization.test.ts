import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('LayerNormalization: input, scale and bias gradients', async () => {
  await checkRule({ op: 'LayerNormalization', inputs: [{ dims: [2, 3, 6] }, { dims: [6] }, { dims: [6] }], attrs: { axis: -1, epsilon: { f: 1e-6 } } });
  await checkRule({ op: 'LayerNormalization', inputs: [{ dims: [2, 3, 4] }, { dims: [3, 4] }, { dims: [3, 4] }], attrs: { axis: 1, epsilon: { f: 1e-5 } } });
});
