import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Sum: each input gets the gradient, summed over its broadcast axes', async () => {
  await checkRule({ op: 'Sum', inputs: [{ dims: [2, 3] }, { dims: [3] }, { dims: [2, 1] }] });
});
