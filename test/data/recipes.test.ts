import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Image2D, Volume3D } from '../../src/data/types.js';
import { MedprobeError } from '../../src/util/errors.js';
import { compileRecipe, describeRecipe, prepareVolume, prepareVolumeSlices, recipeHash, resolveRecipe } from '../../src/data/recipes/index.js';
import { grayToRgb, normalizeToChw, resize, type ImageInputSpec } from '../../src/data/transforms/index.js';

const DINO: ImageInputSpec = { size: 224, rescale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resample: 'bicubic' };
const HALF: ImageInputSpec = { size: 224, rescale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resample: 'bicubic' };

test('medmnist-default: bilinear 28→224 (not the card resample) then (v/255 − mean)/std, grey broadcast to 3 planes', () => {
  const b = new Uint8Array(28 * 28);
  for (let i = 0; i < b.length; i++) b[i] = i % 255;
  const f = compileRecipe('medmnist-default', HALF);
  assert.equal(f.floatsPerImage, 3 * 224 * 224);
  const out = new Float32Array(2 * f.floatsPerImage);
  f({ kind: '2d', width: 28, height: 28, channels: 1, data: b }, out, f.floatsPerImage);
  // torch F.interpolate bilinear values at (y, x) ∈ {0,111,223} × {0,100} (see transforms.test.ts)
  const expected: Record<string, number> = { '0,0': 0.0, '0,100': 12.0625, '111,0': 121.25, '111,100': 133.3125, '223,0': 246.0, '223,100': 3.0625 };
  const plane = 224 * 224;
  for (const [k, v] of Object.entries(expected)) {
    const [y, x] = k.split(',').map(Number);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(out[f.floatsPerImage + c * plane + y * 224 + x] - (v / 255 - 0.5) / 0.5) < 1e-5, `${k} c${c}`);
  }
  assert.equal(out[0], 0); // nothing written before the offset
});

test('compiled recipe equals the hand-composed transforms (grey deferral changes nothing)', () => {
  const g: Image2D = { kind: '2d', width: 13, height: 9, channels: 1, data: Uint8Array.from({ length: 117 }, (_, i) => (i * 53) % 256) };
  const spec: ImageInputSpec = { ...DINO, size: 20 };
  const a = new Float32Array(3 * 400);
  compileRecipe({ name: 'x', steps: [{ op: 'gray-to-rgb' }, { op: 'resize' }, { op: 'normalize' }] }, spec)(g, a);
  const b = new Float32Array(3 * 400);
  normalizeToChw(resize(grayToRgb(g), { height: 20, width: 20 }, 'bicubic'), spec, b, 0);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5);
});

test('ct-default on a HU slice: window [−1024, 600], scale by the window, model normalisation', () => {
  const spec: ImageInputSpec = { ...DINO, size: 2 };
  const hu: Image2D = { kind: '2d', width: 2, height: 2, channels: 1, data: Int16Array.from([-2000, -1024, 0, 600]) };
  const out = new Float32Array(12);
  compileRecipe('ct-default', spec)(hu, out);
  const unit = [0, 0, 1024 / 1624, 1];
  for (let c = 0; c < 3; c++) for (let i = 0; i < 4; i++) assert.ok(Math.abs(out[c * 4 + i] - (unit[i] - DINO.mean[c]) / DINO.std[c]) < 1e-5);
});

test('mri-default on a volume: 5–95th percentile of the whole volume, shared by every slice', () => {
  // two 2×2 slices: one dark, one bright; percentiles over all 8 voxels
  const data = Uint16Array.from([0, 10, 20, 30, 1000, 1010, 1020, 1030]);
  const vol: Volume3D = { kind: '3d', depth: 2, height: 2, width: 2, data };
  const spec: ImageInputSpec = { size: 2, rescale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], resample: 'bilinear' };
  // np.percentile([0,10,20,30,1000,1010,1020,1030], [5, 95]) = [3.5, 1026.5]
  const lo = 3.5;
  const hi = 1026.5;
  const r = prepareVolumeSlices(vol, 'mri-default', spec);
  assert.equal(r.count, 2);
  const expect = Array.from(data, (v) => (Math.min(Math.max(v, lo), hi) - lo) / (hi - lo));
  // axial slices put high y on top (NIfTI module convention): pixel (r, c) is voxel y = 1 − r, x = c
  for (let s = 0; s < 2; s++)
    for (let i = 0; i < 4; i++) {
      const voxel = s * 4 + (1 - Math.floor(i / 2)) * 2 + (i % 2);
      assert.ok(Math.abs(r.data[s * 12 + i] - expect[voxel]) < 1e-6, `slice ${s} pixel ${i}`);
    }
  // per-slice scope gives each slice its own scale instead
  const perSlice = prepareVolumeSlices(vol, { name: 's', steps: [{ op: 'mri-percentile-clip', low: 0, high: 100, scope: 'slice' }, { op: 'min-max' }, { op: 'normalize' }] }, spec);
  assert.deepEqual(Array.from(perSlice.data.subarray(12, 16)), [2 / 3, 1, 0, 1 / 3].map(Math.fround));
});

test('volume slices follow the NIfTI module\'s plane convention, scaled by the whole volume', () => {
  const D = 2, H = 3, W = 4;
  const data = Float32Array.from({ length: D * H * W }, (_, i) => {
    const z = Math.floor(i / (H * W)), y = Math.floor((i % (H * W)) / W), x = i % W;
    return 100 * z + 10 * y + x;
  });
  const vol: Volume3D = { kind: '3d', depth: D, height: H, width: W, data };
  // min-max over the whole volume (0..123), so slice values are v / 123
  const recipe = { name: 'raw', steps: [{ op: 'min-max' as const, bounds: 'image' as const }, { op: 'normalize' as const }] };
  const spec: ImageInputSpec = { size: 3, rescale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], resample: 'bilinear' };
  const raw = (img: Image2D): number[] => Array.from(img.data, (v) => Math.round(v * 123));
  const ax = prepareVolume(vol, recipe, spec, 'axial');
  assert.equal(ax.count, 2);
  assert.deepEqual([ax.slice(1).width, ax.slice(1).height, raw(ax.slice(1))[5]], [4, 3, 111]);
  const co = prepareVolume(vol, recipe, spec, 'coronal');
  assert.equal(co.count, 3);
  const c2 = co.slice(2); // y = 2: columns along x, rows along z with superior (high z) on top
  assert.deepEqual([c2.width, c2.height], [4, 2]);
  assert.deepEqual(raw(c2), [120, 121, 122, 123, 20, 21, 22, 23]);
  const sa = prepareVolume(vol, recipe, spec, 'sagittal');
  assert.equal(sa.count, 4);
  assert.deepEqual(raw(sa.slice(3)), [103, 113, 123, 3, 13, 23]); // x = 3: columns y, rows z (high z on top)
  assert.throws(() => ax.slice(2), RangeError);
  // a sagittal slice is 3 wide × 2 high, so a size-3 model needs a resize: without one the recipe says so
  assert.throws(() => sa.writeSlice(3, new Float32Array(27)), /3x2 images but the model takes 3x3/);
  const out = new Float32Array(27);
  prepareVolume(vol, { name: 'r', steps: [{ op: 'min-max', bounds: 'image' }, { op: 'resize', interpolation: 'nearest' }, { op: 'normalize', source: 'explicit', rescale: 123, mean: [0, 0, 0], std: [1, 1, 1] }] }, spec, 'sagittal').writeSlice(3, out);
  // nearest 2→3 rows picks rows [0, 0, 1]; columns stay; each plane identical
  assert.deepEqual(Array.from(out.subarray(18, 27), Math.round), [103, 113, 123, 103, 113, 123, 3, 13, 23]);
});

test('recipes whose output is not the model size fail with a one-line hint', () => {
  const img: Image2D = { kind: '2d', width: 30, height: 20, channels: 1, data: new Uint8Array(600) };
  const f = compileRecipe({ name: 'no-crop', steps: [{ op: 'resize', mode: 'shorter-side' }, { op: 'normalize' }] }, { ...DINO, size: 10 });
  assert.throws(() => f(img, new Float32Array(300)), (e: unknown) => e instanceof MedprobeError && /15x10 images but the model takes 10x10/.test(e.message));
  const g = compileRecipe({ name: 'crop', steps: [{ op: 'resize', mode: 'shorter-side' }, { op: 'center-crop' }, { op: 'normalize' }] }, { ...DINO, size: 10 });
  g(img, new Float32Array(300));
});

test('8-bit recipes refuse 16-bit pixels instead of producing garbage', () => {
  const img: Image2D = { kind: '2d', width: 2, height: 2, channels: 1, data: Uint16Array.from([0, 1, 4095, 65535]) };
  assert.throws(() => compileRecipe('medmnist-default', DINO)(img, new Float32Array(3 * 224 * 224)), (e: unknown) => e instanceof MedprobeError && /expects 8-bit pixels but got uint16/.test(e.message));
});

test('invalid recipes are one-line MedprobeErrors', () => {
  assert.throws(() => resolveRecipe('nope'), (e: unknown) => e instanceof MedprobeError && /unknown preprocessing recipe 'nope'/.test(e.message) && /medmnist-default/.test(e.hint ?? ''));
  assert.throws(() => resolveRecipe({ name: 'x', steps: [{ op: 'normalize' }, { op: 'gray-to-rgb' }] }), /last step must be 'normalize'/);
  assert.throws(() => resolveRecipe({ name: 'x', steps: [{ op: 'normalize', source: 'explicit', rescale: 1 }] }), /needs rescale, mean and std/);
  assert.throws(() => resolveRecipe({ name: 'x', steps: [{ op: 'ct-window', min: 5, max: 1 }, { op: 'normalize' }] }), /min \(5\) must be below max/);
  assert.throws(() => resolveRecipe({ name: 'x', steps: [{ op: 'blur' } as never, { op: 'normalize' }] }), MedprobeError);
});

test('recipe hash: stable under key order and defaults, sensitive to steps and pixel spec, blind to names', () => {
  const a = recipeHash('ct-default', DINO);
  const reordered = {
    steps: [
      { max: 600, min: -1024, op: 'ct-window' as const },
      { op: 'min-max' as const },
      { op: 'gray-to-rgb' as const },
      { op: 'resize' as const },
      { op: 'normalize' as const },
    ],
    name: 'my-ct',
  };
  assert.equal(recipeHash(reordered, DINO), a);
  assert.equal(recipeHash('ct-default', { ...DINO, name: 'pixel_values', layout: 'NCHW' } as ImageInputSpec), a);
  assert.notEqual(recipeHash('ct-default', { ...DINO, size: 518 }), a);
  assert.notEqual(recipeHash('ct-default', { ...DINO, mean: [0.5, 0.5, 0.5] }), a);
  assert.notEqual(recipeHash({ ...reordered, steps: [{ op: 'ct-window', min: -1000, max: 600 }, ...reordered.steps.slice(1)] }, DINO), a);
  assert.match(a, /^[0-9a-f]{64}$/);
});

test('describeRecipe records the resolved steps and the normalisation actually applied', () => {
  const d = describeRecipe('ct-default', DINO) as { name: string; steps: Array<Record<string, unknown>>; hash: string };
  assert.equal(d.name, 'ct-default');
  assert.deepEqual(d.steps[3], { op: 'resize', size: 224, mode: 'exact', interpolation: 'bicubic' });
  assert.equal(d.steps[4].rescale, 1); // [0,1] input: card's 1/255 × 255
  assert.equal(d.hash, recipeHash('ct-default', DINO));
  const m = describeRecipe('medmnist-default', DINO) as { steps: Array<Record<string, unknown>> };
  assert.equal(m.steps[2].rescale, 1 / 255);
});
