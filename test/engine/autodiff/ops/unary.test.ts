import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

for (const op of ['Exp', 'Neg', 'Tanh', 'Sigmoid', 'Softplus', 'Identity']) {
  test(`${op}: gradient matches finite differences`, async () => {
    await checkRule({ op, inputs: [{ dims: [2, 4] }] });
  });
}
test('Log: gradient matches finite differences', async () => {
  await checkRule({ op: 'Log', inputs: [{ dims: [2, 4] }], positive: true });
});
test('Relu: gradient matches finite differences away from the kink', async () => {
  await checkRule({ op: 'Relu', inputs: [{ dims: [3, 4] }], margin: 0.1 });
});
test('Clip (ReLU6): gradient matches finite differences away from the bounds', async () => {
  await checkRule({ op: 'Clip', inputs: [{ dims: [12], values: [-2, -0.5, 0.3, 1, 2.5, 5.5, 6.5, 8, -1, 3, 4, 0.7] }, { dims: [], values: [0], fixed: true }, { dims: [], values: [6], fixed: true }] });
});
