import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Softmax and LogSoftmax over the last and a middle axis', async () => {
  await checkRule({ op: 'Softmax', inputs: [{ dims: [2, 3, 4] }], attrs: { axis: -1 } });
  await checkRule({ op: 'Softmax', inputs: [{ dims: [2, 3, 4] }], attrs: { axis: 1 } });
  await checkRule({ op: 'LogSoftmax', inputs: [{ dims: [3, 5] }], attrs: { axis: -1 } });
});
