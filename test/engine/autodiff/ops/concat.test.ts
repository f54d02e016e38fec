import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Concat: [CLS] + patches along the token axis', async () => {
  await checkRule({ op: 'Concat', inputs: [{ dims: [2, 1, 3] }, { dims: [2, 4, 3] }], attrs: { axis: 1 } });
});
test('Split with explicit sizes and with equal parts', async () => {
  await checkRule({ op: 'Split', inputs: [{ dims: [2, 6] }, { int64: true, values: [1, 2, 3] }], attrs: { axis: 1 }, outputs: 3 });
  await checkRule({ op: 'Split', inputs: [{ dims: [4, 3] }], attrs: { axis: 0 }, outputs: 2 });
});
