import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Image2D } from '../../src/data/types.js';
import { normalizeToChw, resize, resizeBilinearToChw } from '../../src/data/transforms/index.js';
import { createRng } from '../../src/util/random.js';

const half = { rescale: 1 / 255, mean: [0.5, 0.5, 0.5] as const, std: [0.5, 0.5, 0.5] as const };
const imagenet = { rescale: 1 / 255, mean: [0.485, 0.456, 0.406] as const, std: [0.229, 0.224, 0.225] as const };

function image(w: number, h: number, channels: 1 | 3, float: boolean): Image2D {
  const rng = createRng(w * 100 + h);
  const data = float ? new Float32Array(w * h * channels) : new Uint8Array(w * h * channels);
  for (let i = 0; i < data.length; i++) data[i] = float ? rng.next() * 255 : rng.int(256);
  return { kind: '2d', width: w, height: h, channels, data };
}

for (const [w, h, C, size, float, norm, label] of [
  [28, 28, 1, 224, false, half, 'grey 28→224, shared mean/std (plane copied)'],
  [28, 28, 1, 224, false, imagenet, 'grey 28→224, ImageNet mean/std'],
  [40, 30, 3, 16, false, imagenet, 'RGB 40×30→16 (downsampling)'],
  [33, 20, 1, 33, true, half, 'float grey, one side unchanged'],
  [24, 24, 3, 24, false, half, 'RGB same size (no resize)'],
] as const) {
  test(`fused bilinear resize + CHW normalisation is bit-identical to resize then normalizeToChw: ${label}`, () => {
    const img = image(w, h, C, float);
    const ref = new Float32Array(3 * size * size + 5);
    normalizeToChw(resize(img, { height: size, width: size }, 'bilinear'), norm, ref, 5);
    const got = new Float32Array(3 * size * size + 5);
    assert.equal(resizeBilinearToChw(img, size, norm, got, 5), true);
    assert.deepEqual(got, ref);
  });
}

test('fused kernel declines 2- or 4-channel images (the caller falls back)', () => {
  const img: Image2D = { kind: '2d', width: 2, height: 2, channels: 4, data: new Uint8Array(16) };
  assert.equal(resizeBilinearToChw(img, 4, half, new Float32Array(48)), false);
});
