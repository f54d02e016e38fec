/**
 * fp16 backbones (--precision fp16): the conversion's rounding is ONNX Runtime's own Cast, bit for
 * bit; a tiny ViT converted to fp16 gives features (final output and last-4 blocks) within a stated
 * tolerance of its fp32 self on CPU, with float32 inputs and outputs; fp16 is recorded in the compute
 * (provenance) and gives other feature-cache keys; the user's file is untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { writeTinyVitCard, writeTinyVitOnnx } from '../../src/models/fixtures/tiny-vit.js';
import { writeWithExternalData } from '../../src/models/fixtures/external-data.js';
import { FLOAT16, float32ToFloat16Bits } from '../../src/models/onnx/fp16.js';
import { FLOAT, attr, decodeModel, makeModel, node, valueInfo, type GraphProto } from '../../src/models/onnx/proto.js';
import { openBackbone } from '../../src/models/open.js';
import { isGridBackbone } from '../../src/models/backbone.js';
import { featureKey } from '../../src/features/cache.js';
import { ComputeSchema } from '../../src/results/schema.js';
import { hashFile } from '../../src/util/hash.js';
import { createRng } from '../../src/util/random.js';
import { withTempDir } from '../helpers/assertions.js';
import { runAtPrecisions } from './precision-fixture.js';

test('float32 → float16 rounding matches ONNX Runtime Cast bit for bit (normals, ties, subnormals, overflow, Inf/NaN)', async () => {
  const rng = createRng(3);
  const special = [0, -0, 1, -1, 65504, 65519.99, 65520, 1e6, -1e6, Infinity, -Infinity, 6.1e-5, 5.96e-8, 2.98e-8, 2.99e-8, 1e-9, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2049, 2051];
  const x = Float32Array.from([...special, ...Array.from({ length: 4000 }, () => rng.normal() * 10 ** Math.floor(rng.next() * 12 - 8))]);
  const bytes = makeModel({
    name: 'cast',
    nodes: [node('Cast', ['x'], ['y'], [attr.int('to', FLOAT16)])],
    inputs: [valueInfo('x', FLOAT, [x.length])],
    outputs: [valueInfo('y', FLOAT16, [x.length])],
    initializers: [],
    opset: 17,
  });
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const y = (await s.run({ x: new ort.Tensor('float32', x, [x.length]) })).y;
  await s.release();
  assert.deepEqual(Array.from(float32ToFloat16Bits(x)), Array.from(y.data as Uint16Array));
  const nan = float32ToFloat16Bits(Float32Array.of(NaN))[0];
  assert.ok((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0, 'NaN stays NaN');
});

/** fp16 weights carry ~11 significant bits (relative error ≤ 2⁻¹¹ ≈ 4.9e-4 each); after six blocks and LayerNorms the features (unit scale) move by ~2.5e-3; the bound is 1e-2. */
const FP16_TOLERANCE = 1e-2;

test('a tiny ViT at fp16 on CPU: features within 1e-2 of fp32, float32 in and out, recorded and keyed apart', async (t) => {
  await withTempDir('fp16', async (dir) => {
    const opts = { depth: 6, size: 28, patchSize: 14, dim: 32, seed: 4 };
    const model = path.join(dir, 'vit.onnx');
    const card = path.join(dir, 'vit.json');
    await writeTinyVitOnnx(model, opts);
    await writeTinyVitCard(card, model, opts);
    const sha = await hashFile(model);
    const cacheDir = path.join(dir, 'cache');
    const rng = createRng(9);
    const n = 3;
    const x = Float32Array.from({ length: n * 3 * 28 * 28 }, () => rng.normal());
    const features = ['cls', 'mean-patch', 'last4/cls+mean-patch'];
    const got = await runAtPrecisions(card, cacheDir, x, n, features, ['fp32', 'fp16'] as const);
    for (const k of features) {
      const a = got.fp32.f[k];
      const h = got.fp16.f[k];
      assert.equal(h.length, a.length);
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - h[i]));
      assert.ok(max < FP16_TOLERANCE, `${k}: max |fp16 − fp32| = ${max}`);
      assert.ok(max > 0, `${k}: fp16 differs from fp32 at all (the conversion ran)`);
      t.diagnostic(`${k}: max |fp16 − fp32| = ${max.toExponential(2)}`);
    }
    const maxGrid = got.fp32.grid.reduce((m, v, i) => Math.max(m, Math.abs(v - got.fp16.grid[i])), 0);
    assert.ok(maxGrid < FP16_TOLERANCE && maxGrid > 0, `block:-2 grid: ${maxGrid}`);

    // Recorded in provenance; other cache keys; fp32 keys unchanged.
    assert.deepEqual(got.fp32.keys, {});
    assert.deepEqual(got.fp16.keys, { precision: 'fp16' });
    assert.equal(ComputeSchema.parse(got.fp16.compute).precision, 'fp16');
    const parts = { modelFingerprint: sha, inputSize: 28, datasetFingerprint: 'd', split: 'train', preprocessing: 'p', feature: 'cls' };
    assert.notEqual(featureKey({ ...parts, ...got.fp16.keys }), featureKey({ ...parts, ...got.fp32.keys }));

    // The converted graphs are fp16 inside, float32 at the edges; the user's file is untouched.
    assert.equal(await hashFile(model), sha);
    const edited = path.join(cacheDir, 'models', 'edited');
    const files = (await fs.readdir(edited)).filter((f) => f.includes('fp16'));
    assert.deepEqual(files.sort(), [`${sha}-4-fp16.onnx`, `${sha}-fp16.onnx`]);
    for (const f of files) {
      const g = decodeModel(await fs.readFile(path.join(edited, f))).graph as GraphProto;
      assert.ok(g.initializer.length > 0);
      const bigWeights = g.initializer.filter((t) => t.dims!.length >= 2);
      assert.ok(bigWeights.length > 0 && bigWeights.every((t) => t.dataType === FLOAT16), `${f}: weight matrices are fp16`);
      assert.ok([...g.input, ...g.output].every((v) => v.type!.tensorType!.elemType === FLOAT), `${f}: inputs and outputs float32`);
    }
  });
});

test('fp16 of a ViT in external data: features, last-4 blocks and block grids equal its single-file twin at fp16; nothing beside the user model', async () => {
  await withTempDir('fp16-ext', async (dir) => {
    const opts = { depth: 5, size: 28, patchSize: 14, dim: 32, seed: 6 };
    const single = path.join(dir, 'single.onnx');
    await writeTinyVitOnnx(single, opts);
    const userDir = path.join(dir, 'user-model');
    await fs.mkdir(userDir);
    const external = path.join(userDir, 'model.onnx');
    const { moved } = await writeWithExternalData(single, external);
    assert.ok(moved >= 5 * 4, `weights in external data (${moved})`);
    const before = (await fs.readdir(userDir)).sort();
    const cards = { single: path.join(dir, 'single.json'), external: path.join(dir, 'external.json') };
    await writeTinyVitCard(cards.single, single, opts);
    await writeTinyVitCard(cards.external, external, opts);
    const cacheDir = path.join(dir, 'cache');
    const rng = createRng(2);
    const n = 3;
    const x = Float32Array.from({ length: n * 3 * 28 * 28 }, () => rng.normal());
    const features = ['cls', 'mean-patch', 'last4/cls+mean-patch'];
    const outs: { f: Record<string, Float32Array>; grid: Float32Array }[] = [];
    let fp32Cls: Float32Array | undefined;
    for (const [card, precision] of [[cards.single, 'fp16'], [cards.external, 'fp16'], [cards.external, 'fp32']] as const) {
      const b = await openBackbone({ card }, { cacheDir, threads: 1, precision });
      try {
        assert.ok(isGridBackbone(b));
        const f = await b.run(x, n, features);
        if (precision === 'fp32') {
          fp32Cls = f.cls.data;
          continue;
        }
        assert.equal(b.compute?.precision, 'fp16');
        outs.push({ f: Object.fromEntries(features.map((k) => [k, f[k].data])), grid: (await b.runGrid(x, n, ['block:-1']))['block:-1'].data });
      } finally {
        await b.dispose();
      }
    }
    for (const k of features) assert.deepEqual(outs[1].f[k], outs[0].f[k], k);
    assert.deepEqual(outs[1].grid, outs[0].grid, 'block:-1 grid');
    const max = fp32Cls!.reduce((m, v, i) => Math.max(m, Math.abs(v - outs[1].f.cls[i])), 0);
    assert.ok(max > 0 && max < FP16_TOLERANCE, `external fp16 vs fp32 cls: ${max}`);
    assert.deepEqual((await fs.readdir(userDir)).sort(), before, 'nothing written beside the user model');

    // The fp16 twins (plain and block-exposing) keep their weights in external data of their own, half the size, in float16.
    const edited = path.join(cacheDir, 'models', 'edited');
    const folders = (await fs.readdir(edited)).filter((f) => f.endsWith('-fp16') && !f.endsWith('.onnx'));
    assert.equal(folders.length, 2, folders.join(', '));
    const userData = (await fs.stat(path.join(userDir, 'model.onnx.data'))).size;
    for (const f of folders) {
      const files = await fs.readdir(path.join(edited, f));
      assert.ok(files.includes('model.onnx.medprobe-data'), files.join(', '));
      assert.ok(!files.includes('model.onnx.data'), 'every external float weight was rewritten, so the fp32 data is not linked');
      const size = (await fs.stat(path.join(edited, f, 'model.onnx.medprobe-data'))).size;
      assert.ok(size < 0.6 * userData, `${f}: ${size} bytes of fp16 data vs ${userData} fp32`);
      const g = decodeModel(await fs.readFile(path.join(edited, f, 'model.onnx'))).graph as GraphProto;
      const ext = g.initializer.filter((t) => t.externalData?.length);
      assert.ok(ext.length === moved && ext.every((t) => t.dataType === FLOAT16), `${f}: external weights are fp16`);
    }
  });
});
