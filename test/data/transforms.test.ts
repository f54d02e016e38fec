import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Image2D } from '../../src/data/types.js';
import {
  centerCrop,
  grayToRgb,
  minMax,
  normalizeToChw,
  percentileClip,
  percentiles,
  resize,
  resizeShorterSide,
  toFloat,
  window,
} from '../../src/data/transforms/index.js';

// 3×4 grey test image: a[y][x] = (7y + 3x) % 11 · 10 + y
const A = [0, 30, 60, 90, 71, 101, 21, 51, 32, 62, 92, 12];
const img = (data: number[] | Float32Array, w: number, h: number, c = 1): Image2D => ({ kind: '2d', width: w, height: h, channels: c, data: Float32Array.from(data) });

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-4): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `index ${i}: ${actual[i]} vs ${expected[i]}`);
}

// Reference values: torch 1.13.1 (Debian python3-torch), F.interpolate(a[None,None], size, mode, align_corners=False)
// on float64, rounded to 6 decimals; an independent numpy port of ATen's UpSample.h gave identical numbers.
const TORCH = {
  bilinearUp: [0.0, 10.714286, 27.857143, 45.0, 62.142857, 79.285714, 90.0, 28.4, 39.114286, 56.257143, 51.4, 46.542857, 63.685714, 74.4, 71.0, 81.714286, 98.857143, 61.0, 23.142857, 40.285714, 51.0, 47.6, 58.314286, 75.457143, 70.6, 61.028571, 40.457143, 27.6, 32.0, 42.714286, 59.857143, 77.0, 86.285714, 40.571429, 12.0],
  bilinearDown: [22.75, 49.0, 75.25, 46.75, 73.0, 30.5],
  bicubicUp: [-9.792494, 0.911952, 19.593993, 43.464, 67.334007, 86.016048, 96.720494, 27.379506, 41.845158, 59.591077, 49.3135, 40.974072, 63.488154, 81.438289, 68.023506, 86.142128, 102.978863, 61.0, 19.021137, 35.857872, 53.976494, 49.267506, 63.733158, 81.479077, 78.25525, 58.55716, 35.77369, 20.621241, 25.279506, 35.983952, 54.665993, 89.8385, 95.508077, 41.608077, -0.729044],
  bicubicDown: [21.741564, 47.699951, 77.695611, 47.616564, 81.913574, 27.390598],
  nearestUp: [0, 0, 30, 30, 60, 60, 90, 0, 0, 30, 30, 60, 60, 90, 71, 71, 101, 101, 21, 21, 51, 71, 71, 101, 101, 21, 21, 51, 32, 32, 62, 62, 92, 92, 12],
  nearestDown: [0, 30, 60, 71, 101, 21],
  // b = arange(784).reshape(28,28) % 255 (float32), 28→224 bilinear, rows [0,5,111,223] × cols [0,7,100,223]
  mnistUp: [0.0, 0.4375, 12.0625, 27.0, 5.25, 5.6875, 17.3125, 32.25, 121.25, 121.6875, 133.3125, 148.25, 246.0, 246.4375, 3.0625, 18.0],
};

test('bilinear resize matches torch F.interpolate(align_corners=False), up and down', () => {
  close(resize(img(A, 4, 3), { height: 5, width: 7 }, 'bilinear').data, TORCH.bilinearUp);
  close(resize(img(A, 4, 3), { height: 2, width: 3 }, 'bilinear').data, TORCH.bilinearDown);
});

test('bicubic resize matches torch (A = −0.75, border-clamped taps)', () => {
  close(resize(img(A, 4, 3), { height: 5, width: 7 }, 'bicubic').data, TORCH.bicubicUp);
  close(resize(img(A, 4, 3), { height: 2, width: 3 }, 'bicubic').data, TORCH.bicubicDown);
});

test('nearest resize matches torch legacy nearest and keeps the pixel type', () => {
  const u8: Image2D = { kind: '2d', width: 4, height: 3, channels: 1, data: Uint8Array.from(A) };
  const up = resize(u8, { height: 5, width: 7 }, 'nearest');
  assert.ok(up.data instanceof Uint8Array);
  assert.deepEqual(Array.from(up.data), TORCH.nearestUp);
  assert.deepEqual(Array.from(resize(u8, { height: 2, width: 3 }, 'nearest').data), TORCH.nearestDown);
});

test('28→224 bilinear on a uint8 MedMNIST-sized image matches torch', () => {
  const b = new Uint8Array(28 * 28);
  for (let i = 0; i < b.length; i++) b[i] = i % 255;
  const out = resize({ kind: '2d', width: 28, height: 28, channels: 1, data: b }, { height: 224, width: 224 });
  const picked: number[] = [];
  for (const y of [0, 5, 111, 223]) for (const x of [0, 7, 100, 223]) picked.push(out.data[y * 224 + x]);
  close(picked, TORCH.mnistUp, 1e-4);
});

test('multi-channel resize works per channel (interleaved HWC)', () => {
  const rgb = new Float32Array(12 * 3);
  for (let i = 0; i < 12; i++) {
    rgb[3 * i] = A[i];
    rgb[3 * i + 1] = 2 * A[i];
    rgb[3 * i + 2] = -A[i];
  }
  const out = resize(img(rgb, 4, 3, 3), { height: 5, width: 7 }, 'bilinear');
  close(Array.from(out.data).filter((_, i) => i % 3 === 0), TORCH.bilinearUp);
  close(Array.from(out.data).filter((_, i) => i % 3 === 1), TORCH.bilinearUp.map((v) => 2 * v), 2e-4);
  close(Array.from(out.data).filter((_, i) => i % 3 === 2), TORCH.bilinearUp.map((v) => -v));
});

test('resizeShorterSide truncates the long side like torchvision Resize(int)', () => {
  const r = resizeShorterSide(img(new Array(300 * 200).fill(1), 300, 200), 224);
  assert.equal(r.height, 224);
  assert.equal(r.width, 336); // int(224 * 300 / 200)
  const t = resizeShorterSide(img(new Array(100 * 333).fill(1), 100, 333), 64);
  assert.deepEqual([t.width, t.height], [64, 213]); // int(64 * 333 / 100) = int(213.12)
});

test('centerCrop uses round-half-even offsets and zero-pads when larger', () => {
  // 5 wide → 2 wide: offset round(1.5) = 2
  const row = img([0, 1, 2, 3, 4], 5, 1);
  assert.deepEqual(Array.from(centerCrop(row, { height: 1, width: 2 }).data), [2, 3]);
  // 6 wide → 3 wide: round(1.5) = 2 ; 7 → 2: round(2.5) = 2 (Python rounds half to even)
  assert.deepEqual(Array.from(centerCrop(img([0, 1, 2, 3, 4, 5], 6, 1), { height: 1, width: 3 }).data), [2, 3, 4]);
  assert.deepEqual(Array.from(centerCrop(img([0, 1, 2, 3, 4, 5, 6], 7, 1), { height: 1, width: 2 }).data), [2, 3]);
  // 2 → 5: pad left (5−2)//2 = 1
  assert.deepEqual(Array.from(centerCrop(img([7, 8], 2, 1), { height: 1, width: 5 }).data), [0, 7, 8, 0, 0]);
});

test('grayToRgb replicates grey, drops alpha, passes RGB through', () => {
  const g: Image2D = { kind: '2d', width: 2, height: 1, channels: 1, data: Uint16Array.from([5, 65535]) };
  const rgb = grayToRgb(g);
  assert.ok(rgb.data instanceof Uint16Array);
  assert.deepEqual(Array.from(rgb.data), [5, 5, 5, 65535, 65535, 65535]);
  assert.deepEqual(Array.from(grayToRgb(img([1, 2, 3, 4, 5, 6, 7, 8], 2, 1, 4)).data), [1, 2, 3, 5, 6, 7]);
  assert.equal(grayToRgb(rgb), rgb);
  assert.throws(() => grayToRgb(img([1, 2, 3, 4, 5], 1, 1, 5)), /5-channel/);
});

test('window clips HU, minMax maps to [0,1], constant images map to zero', () => {
  const hu: Image2D = { kind: '2d', width: 4, height: 1, channels: 1, data: Int16Array.from([-3000, -1024, 0, 3000]) };
  const w = window(hu, -1024, 600);
  assert.deepEqual(Array.from(w.data), [-1024, -1024, 0, 600]);
  close(minMax(w, [-1024, 600]).data, [0, 0, 1024 / 1624, 1], 1e-6);
  close(minMax(img([2, 4, 6], 3, 1)).data, [0, 0.5, 1], 1e-7);
  assert.deepEqual(Array.from(minMax(img([3, 3], 2, 1)).data), [0, 0]);
  assert.throws(() => window(hu, 5, 5), /empty/);
});

test('percentiles follow numpy linear interpolation (histogram path and float path)', () => {
  // numpy: v = [(i*37) % 101 - 20 for i in range(57)] as int16; np.percentile(v, [0,5,50,95,99.5,100])
  const v = Int16Array.from({ length: 57 }, (_, i) => ((i * 37) % 101) - 20);
  close(percentiles(v, [0, 5, 50, 95, 99.5, 100]), [-20.0, -15.4, 29.0, 74.4, 79.16, 80.0], 1e-9);
  // f = [sin(i)*100 for i in range(31)] as float32; np.percentile(f.astype(float64), [5, 95])
  const f = Float32Array.from({ length: 31 }, (_, i) => Math.sin(i) * 100);
  close(percentiles(f, [5, 95]), [-97.47145462036133, 97.28670883178711], 1e-9);
  assert.throws(() => percentiles(v, [101]), /outside/);
});

test('percentileClip on a volume uses one set of bounds for all slices', () => {
  const data = Uint16Array.from({ length: 2 * 2 * 5 }, (_, i) => i * 10); // 0..190
  const vol = { kind: '3d' as const, depth: 2, height: 2, width: 5, data };
  const { image, bounds } = percentileClip(vol, 5, 95);
  close(bounds, [9.5, 180.5], 1e-9); // np.percentile(arange(20)*10, [5, 95])
  assert.equal(image.kind, '3d');
  assert.equal(image.data[0], 9.5);
  assert.equal(image.data[19], 180.5);
  assert.equal(image.data[10], 100);
});

test('toFloat copies integer data once and passes float32 through', () => {
  const f = img([1, 2], 2, 1);
  assert.equal(toFloat(f), f);
  const u = toFloat({ kind: '2d', width: 2, height: 1, channels: 1, data: Uint8Array.from([1, 255]) });
  assert.ok(u.data instanceof Float32Array);
  assert.deepEqual(Array.from(u.data), [1, 255]);
});

test('normalizeToChw writes CHW at an offset, broadcasting grey to 3 channels', () => {
  const rgb: Image2D = { kind: '2d', width: 2, height: 1, channels: 3, data: Uint8Array.from([0, 128, 255, 255, 0, 51]) };
  const out = new Float32Array(2 + 6).fill(-99);
  const n = normalizeToChw(rgb, { rescale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 1] }, out, 2);
  assert.equal(n, 6);
  assert.deepEqual(Array.from(out.slice(0, 2)), [-99, -99]);
  // channel planes: R = [0, 255], G = [128, 0], B = [255, 51]
  close(out.slice(2), [-1, 1, (128 / 255 - 0.5) / 0.25, -2, 0.5, 0.2 - 0.5], 1e-6);
  const grey: Image2D = { kind: '2d', width: 1, height: 1, channels: 1, data: Uint8Array.from([255]) };
  const g = new Float32Array(3);
  normalizeToChw(grey, { rescale: 2 / 255, mean: [1, 1, 1], std: [1, 1, 1] }, g);
  close(g, [1, 1, 1], 1e-6);
  assert.throws(() => normalizeToChw(grey, { rescale: 1, mean: [0, 0, 0], std: [1, 1, 1] }, new Float32Array(2)), /too small/);
});

test('float percentiles (quickselect) equal a full sort on awkward inputs', () => {
  const cases: Float32Array[] = [
    Float32Array.from({ length: 1001 }, (_, i) => (i * 7919) % 1000), // many ties
    Float32Array.from({ length: 500 }, (_, i) => i), // sorted
    Float32Array.from({ length: 500 }, (_, i) => 500 - i), // reversed
    new Float32Array(300).fill(3), // constant
    Float32Array.from({ length: 777 }, (_, i) => Math.sin(i * 1.3) * 1e4),
  ];
  const ps = [0, 0.5, 5, 33.3, 50, 95, 99.9, 100];
  for (const c of cases) {
    const sorted = c.slice().sort();
    const expected = ps.map((p) => {
      const pos = (p / 100) * (sorted.length - 1);
      const lo = Math.floor(pos);
      return lo + 1 < sorted.length ? sorted[lo] + (pos - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
    });
    close(percentiles(c, ps), expected, 1e-6);
  }
  // NaNs are ignored like np.nanpercentile
  close(percentiles(Float32Array.from([NaN, 1, 2, NaN, 3]), [0, 50, 100]), [1, 2, 3], 0);
});
