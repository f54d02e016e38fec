import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosineTopK, inverseRowNorms } from '../../src/engine/similarity.js';
import { matrix } from '../../src/util/matrix.js';
import { synth } from '../protocols/synth.js';

/** Plain-JS brute force: the independent reference for the ORT graph. */
function bruteTopK(bank: Float32Array, query: Float32Array, d: number, k: number): { idx: number[][]; sims: number[][] } {
  const nb = bank.length / d;
  const nq = query.length / d;
  const norm = (a: Float32Array, i: number) => Math.hypot(...a.subarray(i * d, (i + 1) * d));
  const idx: number[][] = [];
  const sims: number[][] = [];
  for (let q = 0; q < nq; q++) {
    const s: [number, number][] = [];
    for (let b = 0; b < nb; b++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += query[q * d + j] * bank[b * d + j];
      s.push([dot / (norm(query, q) * norm(bank, b)), b]);
    }
    s.sort((x, y) => y[0] - x[0] || x[1] - y[1]);
    idx.push(s.slice(0, k).map((x) => x[1]));
    sims.push(s.slice(0, k).map((x) => x[0]));
  }
  return { idx, sims };
}

test('cosine top-k equals brute force, whatever the chunking', async () => {
  const bank = synth(50, 7, 3, 0.5, 0).features;
  const query = synth(23, 7, 3, 0.5, 100).features;
  const ref = bruteTopK(bank.data, query.data, 7, 6);
  for (const maxChunkBytes of [1, 4 * 50 * 5, 1 << 20]) {
    const nb = await cosineTopK(bank, query, 6, { maxChunkBytes });
    assert.equal(nb.k, 6);
    for (let q = 0; q < 23; q++) {
      assert.deepEqual(Array.from(nb.indices.subarray(q * 6, q * 6 + 6)), ref.idx[q], `row ${q} (chunk ${maxChunkBytes})`);
      ref.sims[q].forEach((s, j) => assert.ok(Math.abs(nb.sims[q * 6 + j] - s) < 1e-5));
    }
  }
});

test('cosine top-k is bit-identical whatever the chunking (so the chunk size is a speed setting only)', async () => {
  const bank = synth(3000, 96, 5, 0.5, 1).features;
  const query = synth(150, 96, 5, 0.5, 2).features;
  const whole = await cosineTopK(bank, query, 50);
  // 1 row per chunk, 7 (a last chunk of 3), 149 (a last chunk of 1 row)
  for (const maxChunkBytes of [4 * 3000, 4 * 3000 * 7, 4 * 3000 * 149]) {
    const nb = await cosineTopK(bank, query, 50, { maxChunkBytes });
    assert.deepEqual(nb.indices, whole.indices, `indices (chunk ${maxChunkBytes} bytes)`);
    assert.deepEqual(nb.sims, whole.sims, `similarities (chunk ${maxChunkBytes} bytes)`);
  }
});

test('excludeSelf drops each row itself; k clipped to the bank; zero rows have similarity 0', async () => {
  const bank = matrix(4, 2, Float32Array.from([1, 0, 0.9, 0.1, 0, 1, 0, 0]));
  const nb = await cosineTopK(bank, bank, 10, { excludeSelf: true });
  assert.equal(nb.k, 3);
  for (let q = 0; q < 4; q++) assert.ok(!Array.from(nb.indices.subarray(q * 3, q * 3 + 3)).includes(q), `row ${q} excludes itself`);
  // Row (1,0): (0.9,0.1) at 0.9939, then (0,1) and the zero row both at 0 — equal values, lower index first.
  assert.deepEqual(Array.from(nb.indices.subarray(0, 3)), [1, 2, 3]);
  assert.ok(Math.abs(nb.sims[0] - 0.9 / Math.hypot(0.9, 0.1)) < 1e-6);
  assert.equal(nb.sims[1], 0);
  assert.equal(nb.sims[2], 0);
});

test('inverseRowNorms (four running sums per row, a remainder when D % 4 ≠ 0) equals a plain float64 reference; a zero row gives 0', () => {
  for (const cols of [1, 6, 8, 771]) {
    const rows = 5;
    const data = Float32Array.from({ length: rows * cols }, (_, i) => (i < cols ? 0 : Math.cos(i * 0.61) * (1 + (i % 13))));
    const got = inverseRowNorms({ rows, cols, data });
    assert.equal(got[0], 0);
    for (let i = 1; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += data[i * cols + j] ** 2;
      assert.equal(got[i], Math.fround(1 / Math.sqrt(s)), `row ${i} of ${cols}-d`);
    }
  }
});
