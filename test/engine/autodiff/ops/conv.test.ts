import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Conv as a ViT patch embedding (stride = kernel)', async () => {
  await checkRule({ op: 'Conv', inputs: [{ dims: [2, 3, 4, 4] }, { dims: [5, 3, 2, 2] }, { dims: [5] }], attrs: { kernel_shape: [2, 2], strides: [2, 2] } });
});
test('Conv 3×3, stride 2, padded; and depthwise', async () => {
  await checkRule({ op: 'Conv', inputs: [{ dims: [1, 2, 5, 5] }, { dims: [3, 2, 3, 3] }, { dims: [3] }], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } });
  await checkRule({ op: 'Conv', inputs: [{ dims: [2, 3, 4, 4] }, { dims: [3, 1, 3, 3] }, { dims: [3] }], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 3 } });
});
// Stride 1: dX is a Conv of dY with flipped, per-group channel-swapped weights.
test('Conv stride 1: 1×1, 3×3 padded, non-square, dilated, grouped, depthwise with multiplier', async () => {
  await checkRule({ op: 'Conv', inputs: [{ dims: [2, 4, 3, 3] }, { dims: [5, 4, 1, 1] }, { dims: [5] }], attrs: { kernel_shape: [1, 1] } });
  await checkRule({ op: 'Conv', inputs: [{ dims: [1, 3, 5, 4] }, { dims: [2, 3, 3, 3] }, { dims: [2] }], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } });
  await checkRule({ op: 'Conv', inputs: [{ dims: [1, 2, 6, 5] }, { dims: [3, 2, 3, 2] }, null], attrs: { kernel_shape: [3, 2], pads: [0, 1, 2, 0] } });
  await checkRule({ op: 'Conv', inputs: [{ dims: [1, 2, 6, 6] }, { dims: [2, 2, 2, 3] }, null], attrs: { kernel_shape: [2, 3], pads: [1, 2, 0, 1], dilations: [2, 1] } });
  // (dW has no rule for groups other than depthwise: W fixed, dX checked)
  await checkRule({ op: 'Conv', inputs: [{ dims: [1, 4, 4, 3] }, { dims: [6, 2, 3, 3], fixed: true }, { dims: [6] }], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 2 } });
  await checkRule({ op: 'Conv', inputs: [{ dims: [2, 2, 4, 4] }, { dims: [4, 1, 3, 3], fixed: true }, null], attrs: { kernel_shape: [3, 3], pads: [1, 0, 1, 2], group: 2 } });
  // pad beyond the kernel's reach (2 > 1·(2−1)): stays on ConvTranspose
  await checkRule({ op: 'Conv', inputs: [{ dims: [1, 2, 3, 3] }, { dims: [2, 2, 2, 2] }, null], attrs: { kernel_shape: [2, 2], pads: [2, 0, 0, 2] } });
});
test('GlobalAveragePool', async () => {
  await checkRule({ op: 'GlobalAveragePool', inputs: [{ dims: [2, 3, 2, 3] }] });
});
