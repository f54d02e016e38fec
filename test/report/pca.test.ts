import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { covariance, pcaPatchMaps, topEigenvectors, writePcaPng, type PatchGrid } from '../../src/report/pca.js';

// x[i][j] = sin(1.3 i + 0.7 j)·(j+1) + cos(0.1 i j), 12 × 5, float32.
const N = 12;
const D = 5;
const X = Float32Array.from({ length: N * D }, (_, k) => {
  const i = Math.floor(k / D);
  const j = k % D;
  return Math.sin(i * 1.3 + j * 0.7) * (j + 1) + Math.cos(i * j * 0.1);
});

test('covariance (ORT Gemm) and power-iteration eigenvectors match numpy', async () => {
  // Reference: numpy 2.4 on the same float32 values, np.cov(x, rowvar=False), np.linalg.eigh,
  // top 3 by eigenvalue, each vector's largest-magnitude entry made positive.
  const { cov } = await covariance(X, N, D);
  [0.53429464, 0.79837309, 0.2359277].forEach((want, j) => assert.ok(Math.abs(cov[j] - want) < 1e-5, `cov[0][${j}] ${cov[j]} vs ${want}`));
  const { values, vectors } = topEigenvectors(cov, D, 3);
  const wantValues = [21.8440174923, 8.1419699026, 0.0199549965];
  const wantVectors = [
    [-0.11220695, -0.02871275, 0.27654388, 0.61882837, 0.72605792],
    [0.17576239, 0.50456249, 0.6390192, 0.30859188, -0.45929271],
    [0.60439175, 0.52655089, -0.07001496, -0.37490631, 0.46043234],
  ];
  values.forEach((v, k) => assert.ok(Math.abs(v - wantValues[k]) < 1e-4 * Math.max(1, wantValues[k]), `λ${k} ${v} vs ${wantValues[k]}`));
  vectors.forEach((v, k) => v.forEach((x, j) => assert.ok(Math.abs(x - wantVectors[k][j]) < 1e-4, `v${k}[${j}] ${x} vs ${wantVectors[k][j]}`)));
});

/** 6×6 grids: a 4×4 central block of "object" tokens, a "background" border, colours varying inside. */
function grid(seed: number): PatchGrid {
  const h = 6;
  const w = 6;
  const dim = 4;
  const data = new Float32Array(h * w * dim);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * dim;
      const inside = y >= 1 && y <= 4 && x >= 1 && x <= 4;
      data[o] = inside ? 10 : -10;
      data[o + 1] = inside ? (x - 2.5) * 2 : 0.01 * seed;
      data[o + 2] = inside ? (y - 2.5) * 1.5 : 0;
      data[o + 3] = inside ? Math.sin(x * y + seed) : 0;
    }
  return { data, dim, h, w };
}

test('pcaPatchMaps: background (1st component) is black, the object gets three varying channels', async () => {
  const maps = await pcaPatchMaps([grid(1), grid(2)]);
  assert.equal(maps.images.length, 2);
  assert.equal(maps.foregroundFraction, 32 / 72);
  for (const img of maps.images) {
    assert.equal(img.data.length, 6 * 6 * 3);
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 6; x++) {
        const px = [...img.data.subarray((y * 6 + x) * 3, (y * 6 + x) * 3 + 3)];
        const inside = y >= 1 && y <= 4 && x >= 1 && x <= 4;
        if (!inside) assert.deepEqual(px, [0, 0, 0], `border patch ${y},${x} must be background`);
      }
    // Red follows the strongest in-object variation (x position, variance 5 vs 2.8 for y): it increases with x.
    const red = (y: number, x: number): number => img.data[(y * 6 + x) * 3];
    assert.ok(red(2, 1) < red(2, 2) && red(2, 2) < red(2, 3) && red(2, 3) < red(2, 4), 'red ramps along x');
  }
  assert.ok(maps.eigenvalues.all[0] > maps.eigenvalues.foreground[0]);
  // No threshold: every patch coloured.
  const all = await pcaPatchMaps([grid(1)], { threshold: null });
  assert.equal(all.foregroundFraction, 1);
  await assert.rejects(pcaPatchMaps([grid(1), { data: new Float32Array(3), dim: 3, h: 1, w: 1 }]), /patch grid 1 is 1×1×3/);
});

test('writePcaPng enlarges with nearest neighbour', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-pca-'));
  try {
    const file = path.join(dir, 'map.png');
    await writePcaPng({ width: 2, height: 1, data: Uint8Array.from([255, 0, 0, 0, 0, 255]) }, file, { scale: 4 });
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [8, 4, 3]);
    assert.deepEqual([...data.subarray(0, 3)], [255, 0, 0]);
    assert.deepEqual([...data.subarray(3 * 3, 3 * 3 + 3)], [255, 0, 0]);
    assert.deepEqual([...data.subarray(4 * 3, 4 * 3 + 3)], [0, 0, 255]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
