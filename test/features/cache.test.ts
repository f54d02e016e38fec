import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FeatureCache, featureKey } from '../../src/features/cache.js';
import { extractFeatures, preparesOnWorker } from '../../src/features/extract.js';
import type { PrepareSpec } from '../../src/features/prepare.js';
import type { Backbone } from '../../src/models/backbone.js';
import type { SplitSource, Volume3D } from '../../src/data/types.js';
import { parseNpy } from '../../src/util/npy.js';

async function tmp(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-cache-'));
}

const parts = { modelFingerprint: 'm', inputSize: 4, datasetFingerprint: 'd', split: 'train', preprocessing: 'p', feature: 'pooled' };

test('feature key changes with every part and not with key order', () => {
  const k = featureKey(parts);
  assert.equal(k, featureKey({ feature: 'pooled', preprocessing: 'p', split: 'train', datasetFingerprint: 'd', inputSize: 4, modelFingerprint: 'm' }));
  for (const [name, v] of Object.entries({ modelFingerprint: 'm2', inputSize: 8, datasetFingerprint: 'd2', split: 'val', preprocessing: 'q', feature: 'cls' })) {
    assert.notEqual(featureKey({ ...parts, [name]: v }), k, name);
  }
});

test('cache round-trips a matrix as numpy-readable float32 npy, with 3D offsets', async () => {
  const root = await tmp();
  const cache = new FeatureCache(root);
  const key = featureKey(parts);
  assert.equal(await cache.has(key), false);
  const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const meta = { ...parts, idsHash: 'h', createdAt: 'now', extractSeconds: 1, medprobe: '0' };
  await cache.write(key, { data, rows: 3, cols: 2 }, meta, Int32Array.from([0, 1, 3]));
  assert.equal(await cache.has(key), true);
  const back = await cache.read(key);
  assert.deepEqual(Array.from(back.matrix.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(back.offsets!), [0, 1, 3]);
  const raw = parseNpy(new Uint8Array(await fs.readFile(path.join(cache.entryDir(key), 'features.npy'))));
  assert.deepEqual(raw.shape, [3, 2]);
  assert.equal(raw.dtype, 'float32');
  assert.match(new TextDecoder().decode((await fs.readFile(path.join(cache.entryDir(key), 'features.npy'))).subarray(0, 80)), /'descr': '<f4'/);
  // no temp directories are left behind
  const siblings = await fs.readdir(path.dirname(cache.entryDir(key)));
  assert.deepEqual(siblings, [key]);
  // a second writer of the same key is harmless
  await cache.write(key, { data, rows: 3, cols: 2 }, meta, Int32Array.from([0, 1, 3]));
  assert.deepEqual(await fs.readdir(path.dirname(cache.entryDir(key))), [key]);
  await fs.rm(root, { recursive: true });
});

test('an entry without a manifest (killed mid-write) is not a cache hit; a corrupt one is a clear error', async () => {
  const root = await tmp();
  const cache = new FeatureCache(root);
  const key = featureKey(parts);
  await fs.mkdir(cache.entryDir(key), { recursive: true });
  await fs.writeFile(path.join(cache.entryDir(key), 'features.npy'), 'garbage');
  assert.equal(await cache.has(key), false);
  await fs.writeFile(path.join(cache.entryDir(key), 'manifest.json'), '{"rows": 3, "cols": 2}');
  await assert.rejects(cache.read(key), /npy|feature cache entry/);
  await fs.rm(root, { recursive: true });
});

/** A fake backbone whose feature is [sum of the input batch row, its length]: easy to check by hand. */
function sumBackbone(size: number): Backbone {
  return {
    card: { name: 'sum' } as never,
    fingerprint: 'f',
    inputSize: size,
    features: ['pooled'],
    runtime: { name: 'fake', version: '0' },
    async run(batch, n) {
      const per = 3 * size * size;
      const out = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < per; j++) s += batch[i * per + j];
        out[2 * i] = s;
        out[2 * i + 1] = per;
      }
      return { pooled: { data: out, rows: n, cols: 2 } };
    },
    async dispose() {},
  };
}

/** Identity preprocessing on 2×2 images: pixel value v → v in each of 3 channels (sum = 12·v for a constant image). */
const identity: PrepareSpec = {
  recipe: { name: 'identity', steps: [{ op: 'normalize', source: 'explicit', rescale: 1, mean: [0, 0, 0], std: [1, 1, 1] }] },
  input: { size: 2, resample: 'bilinear', rescale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
  axis: 'axial',
};

for (const worker of [false, true]) {
  test(`extractFeatures keeps sample order across batches and embeds volumes slice by slice (worker: ${worker})`, async () => {
    const n = 7;
    const split: SplitSource = {
      size: n,
      labels: new Int32Array(n),
      ids: Array.from({ length: n }, (_, i) => `s${i}`),
      async get(i) {
        return { id: `s${i}`, label: new Int32Array(1), image: { kind: '2d', width: 2, height: 2, channels: 1, data: new Uint8Array(4).fill(i) } };
      },
    };
    const r = await extractFeatures({ backbone: sumBackbone(2), split, features: ['pooled'], prepare: identity, batchSize: 3, worker });
    assert.equal(r.matrices.pooled.rows, 7);
    assert.deepEqual(Array.from({ length: 7 }, (_, i) => r.matrices.pooled.data[2 * i]), [0, 12, 24, 36, 48, 60, 72]);
    assert.equal(r.offsets, undefined);

    // Two volumes of 3 axial slices with constant values 0,1,2 and 5,6,7.
    const vol = (base: number): Volume3D => ({ kind: '3d', depth: 3, height: 2, width: 2, data: Uint8Array.from({ length: 12 }, (_, k) => base + Math.floor(k / 4)) });
    const split3: SplitSource = { size: 2, labels: new Int32Array(2), ids: ['a', 'b'], async get(i) {
      return { id: 'ab'[i], label: new Int32Array(1), image: vol(i * 5) };
    } };
    const r3 = await extractFeatures({ backbone: sumBackbone(2), split: split3, features: ['pooled'], prepare: identity, batchSize: 2, worker });
    assert.deepEqual(Array.from(r3.offsets!), [0, 3, 6]);
    assert.deepEqual(Array.from({ length: 6 }, (_, i) => r3.matrices.pooled.data[2 * i]), [0, 12, 24, 60, 72, 84]);
  });
}

test('a preprocessing error in the worker surfaces as the same clear error', async () => {
  const split: SplitSource = { size: 1, labels: new Int32Array(1), ids: ['x'], async get() {
    return { id: 'x', label: new Int32Array(1), image: { kind: '2d', width: 2, height: 2, channels: 1, data: new Float32Array(4) } };
  } };
  const spec: PrepareSpec = { recipe: 'medmnist-default', input: identity.input, axis: 'axial' };
  await assert.rejects(extractFeatures({ backbone: sumBackbone(2), split, features: ['pooled'], prepare: spec }), /expects 8-bit pixels/);
});

test('preprocessing defaults to a worker thread only when the backbone runs on a GPU provider', () => {
  assert.equal(preparesOnWorker({ compute: undefined }), false); // TF.js and test backbones
  assert.equal(preparesOnWorker({ compute: { device: 'cpu', requested: 'cpu', intraOpThreads: 2, interOpThreads: 1 } }), false);
  assert.equal(preparesOnWorker({ compute: { device: 'webgpu', requested: 'auto', intraOpThreads: 2, interOpThreads: 1 } }), true);
  assert.equal(preparesOnWorker({ compute: { device: 'cuda', requested: 'cuda', intraOpThreads: 2, interOpThreads: 1 } }), true);
});
