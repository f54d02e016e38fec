import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Conv as a ViT patch embedding (stride = kernel)', async () => {
  await checkRule({ op: 'Conv', inputs: [{ dims: [2, 3, 4, 4] }, { dims: [5, 3, 2, 2] }, { dims: [5] }], attrs: { kernel_shape: [2, 2], strides: [2, 2] } });
});
test('Conv 3×3, stride 2, padded; and depthwise', async () => {
  await checkRule({ op: 'Conv', inputs: [{ dims: [1, 2, 5, 5] }, { dims: [3, 2, 3, 3] }, { dims: [3] }], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } });
  await checkRule({ op: 'Conv', inputs: [{ dims: [2, 3, 4, 4] }, { dims: [3, 1, 3, 3] }, { dims: [3] }], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 3 } });
});
test('GlobalAveragePool', async () => {
  await checkRule({ op: 'GlobalAveragePool', inputs: [{ dims: [2, 3, 2, 3] }] });
});
