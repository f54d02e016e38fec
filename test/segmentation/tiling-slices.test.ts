import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TileStitcher, argmaxClasses, cropPlane, tileInput, tileInside, tileOrigins, tileStarts } from '../../src/protocols/segmentation/tiling.js';
import { getSlice, putSlice, sliceGeometry } from '../../src/protocols/segmentation/volume-slices.js';

test('tiles cover DRIVE images evenly and end at the edge', () => {
  assert.deepEqual(tileStarts(565, 224), [0, 171, 341]); // 341/2 = 170.5 rounds up
  assert.deepEqual(tileStarts(584, 224), [0, 180, 360]);
  assert.deepEqual(tileStarts(100, 224), [0]);
  assert.deepEqual(tileStarts(224, 224), [0]);
  assert.equal(tileOrigins(565, 584, 224).length, 9);
});

test('crop pads outside the image; inside-mask marks the padding', () => {
  // 3×2 image, tile 4 at the origin: rows 0-1 hold the image, the rest is zero.
  const src = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  const t = cropPlane(src, 3, 2, 1, { x: 0, y: 0 }, 4, (n) => new Uint8Array(n));
  assert.deepEqual(Array.from(t), [1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(tileInside(3, 2, { x: 0, y: 0 }, 4)), [1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

test('tile input: (v·rescale − mean)/std per channel, gray repeated, padding at the normalised zero', () => {
  const img = { kind: '2d' as const, width: 1, height: 1, channels: 1, data: Uint8Array.from([255]) };
  const out = new Float32Array(3 * 4);
  tileInput(img, { x: 0, y: 0 }, 2, { rescale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.25] }, out, 0);
  // pixel 255 → 1 → (1−.5)/.5 = 1 (ch 0, 1) and 2 (ch 2); padding 0 → −1, −1, −2
  assert.deepEqual(Array.from(out), [1, -1, -1, -1, 1, -1, -1, -1, 2, -2, -2, -2]);
});

test('stitching averages overlapping tiles; argmax picks the larger class', () => {
  // 3×1 image, tiles of 2 at x=0 and x=1 (overlap at x=1), 2 classes.
  const st = new TileStitcher(3, 1, 2);
  // tile [K=2][2×2]: class-1 prob 0.2, 0.4 (row 0) for the first tile, 0.8, 1.0 for the second.
  st.add(Float32Array.from([0.8, 0.6, 0, 0, 0.2, 0.4, 0, 0]), 0, { x: 0, y: 0 }, 2);
  st.add(Float32Array.from([0.2, 0.0, 0, 0, 0.8, 1.0, 0, 0]), 0, { x: 1, y: 0 }, 2);
  const p = st.result();
  const want = [0.8, 0.4, 0.0, 0.2, 0.6, 1.0];
  want.forEach((v, i) => assert.ok(Math.abs(p[i] - v) < 1e-6, `${i}: ${p[i]} vs ${v}`));
  assert.deepEqual(Array.from(argmaxClasses(p, 2, 3)), [0, 1, 1]);
});

test('getSlice/putSlice are inverse along every axis and agree with the index formula', () => {
  const v = { width: 4, height: 3, depth: 2 };
  const data = Uint8Array.from({ length: 24 }, (_, i) => i);
  for (const axis of ['x', 'y', 'z'] as const) {
    const g = sliceGeometry(v, axis);
    const back = new Uint8Array(24);
    for (let s = 0; s < g.count; s++) {
      const plane = new Uint8Array(g.height * g.width);
      getSlice(v, data, axis, s, plane);
      putSlice(v, back, axis, s, plane);
      if (s === 1) {
        // voxel (x, y, z) has value (z·3 + y)·4 + x
        const expect = axis === 'z' ? (1 * 3 + 2) * 4 + 3 : axis === 'y' ? (1 * 3 + 1) * 4 + 3 : (1 * 3 + 2) * 4 + 1;
        assert.equal(plane[g.height * g.width - 1], expect, `${axis}: last pixel of slice 1`);
      }
    }
    assert.deepEqual(Array.from(back), Array.from(data), axis);
  }
  assert.deepEqual(sliceGeometry(v, 'x'), { count: 4, height: 2, width: 3 });
});
