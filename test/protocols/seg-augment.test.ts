import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentBatch } from '../../src/protocols/segmentation/augment.js';
import { createRng } from '../../src/util/random.js';

/** One sample: a 2×3×4 grid (C×h×w), a 2-class one-hot 6×8 target and an all-valid mask. */
function batch() {
  const feats = [Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i)];
  const target = new Float32Array(2 * 6 * 8);
  for (let p = 0; p < 48; p++) target[(p % 8 < 3 ? 48 : 0) + p] = 1; // class 1 = the left 3 columns
  return { n: 1, feats, target, valid: new Float32Array(48).fill(1) };
}
const shapes = [{ channels: 2, height: 3, width: 4 }];

test('a horizontal flip mirrors every grid channel, the target and the mask exactly', () => {
  const b = batch();
  augmentBatch(b, shapes, 2, 6, 8, { hflip: 1, vflip: 0, rotate: 0, maxDegrees: 90 }, createRng(1));
  for (let c = 0; c < 2; c++)
    for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) assert.equal(b.feats[0][c * 12 + y * 4 + x], c * 12 + y * 4 + (3 - x));
  for (let p = 0; p < 48; p++) assert.equal(b.target[48 + p], p % 8 >= 5 ? 1 : 0, 'class 1 moved to the right 3 columns');
  assert.ok(b.valid.every((v) => v === 1), 'a flip brings nothing in from outside the plane');
});

test('rotations mark pixels brought in from outside as invalid; draws are seeded', () => {
  const run = (seed: number) => {
    const b = batch();
    augmentBatch(b, shapes, 2, 6, 8, { hflip: 0, vflip: 0, rotate: 1, maxDegrees: 90 }, createRng(seed));
    return b;
  };
  const a = run(3);
  assert.deepEqual(run(3), a, 'same seed, same augmentation');
  assert.ok(a.valid.some((v) => v === 0), 'corners rotated in from outside are not trained on');
  for (let p = 0; p < 48; p++) assert.equal(a.target[p] + a.target[48 + p], a.valid[p], 'valid pixels keep a one-hot target');
});
