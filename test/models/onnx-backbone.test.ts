import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeTinyCnnCard, writeTinyCnnOnnx, tinyCnnCard, tinyCnnReference } from '../../src/models/fixtures/tiny-cnn.js';
import { openBackbone } from '../../src/models/open.js';
import { isGridBackbone, type Backbone } from '../../src/models/backbone.js';
import { MedprobeError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/random.js';
import { FLOAT, INT64, makeModel, node, valueInfo } from '../../src/models/onnx/proto.js';

let dir: string;
const SIZE = 32;

function randomBatch(n: number, seed: number, size = SIZE): Float32Array {
  const rng = createRng(seed);
  return new Float32Array(n * 3 * size * size).map(() => rng.normal());
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function expectError(p: Promise<unknown>, pattern: RegExp): Promise<MedprobeError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MedprobeError, `expected MedprobeError, got ${e}`);
    assert.match(e.oneLine(), pattern);
    assert.ok(!e.oneLine().includes('\n'));
    return e;
  }
  assert.fail(`expected an error matching ${pattern}`);
}

async function cnn(name: string, opts: Parameters<typeof writeTinyCnnOnnx>[1] = {}): Promise<string> {
  const model = path.join(dir, `${name}.onnx`);
  await writeTinyCnnOnnx(model, opts);
  const card = path.join(dir, `${name}.json`);
  await writeTinyCnnCard(card, model, opts);
  return card;
}

async function writeCard(name: string, card: unknown): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  await fs.writeFile(file, JSON.stringify(card));
  return file;
}

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-onnx-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('OnnxBackbone on the tiny CNN', () => {
  it('matches the float64 JS reference, batch 1 and batch 5 alike', async () => {
    const bb = await openBackbone({ card: await cnn('nchw', { seed: 3 }) });
    try {
      assert.equal(bb.inputSize, SIZE);
      assert.equal(bb.runtime.name, 'onnxruntime-node');
      assert.match(bb.fingerprint, /^[0-9a-f]{64}$/);
      assert.deepEqual([...bb.features].sort(), ['map', 'pooled']);
      const x = randomBatch(5, 1);
      const ref = tinyCnnReference(x, 5, SIZE, 3);
      const out = await bb.run(x, 5, ['pooled', 'map']);
      assert.equal(out.pooled.rows, 5);
      assert.equal(out.pooled.cols, 16);
      assert.ok(maxAbsDiff(out.pooled.data, ref.pooled) < 1e-4);
      // `map` is feature_map globally averaged in JS: the same numbers as the graph's GAP.
      assert.ok(maxAbsDiff(out.map.data, out.pooled.data) < 1e-5);
      for (let i = 0; i < 5; i++) {
        const one = await bb.run(x.subarray(i * 3 * SIZE * SIZE, (i + 1) * 3 * SIZE * SIZE), 1, ['pooled']);
        assert.ok(maxAbsDiff(one.pooled.data, out.pooled.data.subarray(i * 16, (i + 1) * 16)) < 1e-5);
      }
    } finally {
      await bb.dispose();
    }
  });

  it('runGrid returns the feature map; NHWC and fixed-batch graphs give the same numbers', async () => {
    const x = randomBatch(3, 2);
    const ref = tinyCnnReference(x, 3, SIZE, 0);
    for (const [name, opts] of [
      ['plain', {}],
      ['nhwc', { layout: 'NHWC' as const }],
      ['fixed', { fixedBatch: true }],
    ] as const) {
      const bb = await openBackbone({ card: await cnn(`grid-${name}`, opts) });
      try {
        assert.ok(isGridBackbone(bb));
        const out = await bb.run(x, 3, ['pooled']);
        assert.ok(maxAbsDiff(out.pooled.data, ref.pooled) < 1e-4, name);
        const grid = await bb.runGrid(x, 3, ['feature_map']);
        assert.deepEqual(grid.feature_map.dims, [3, 16, 8, 8]);
        assert.ok(maxAbsDiff(grid.feature_map.data, ref.featureMap) < 1e-4, name);
      } finally {
        await bb.dispose();
      }
    }
  });

  it("card pool 'none' keeps the whole map, flattened channel-major, for NCHW and NHWC graphs", async () => {
    const x = randomBatch(2, 9);
    const ref = tinyCnnReference(x, 2, SIZE, 0);
    for (const layout of ['NCHW', 'NHWC'] as const) {
      const cardFile = await cnn(`pool-${layout}`, { layout });
      const card = JSON.parse(await fs.readFile(cardFile, 'utf8'));
      await fs.writeFile(cardFile, JSON.stringify({ ...card, pool: { map: 'none' } }));
      const bb = await openBackbone({ card: cardFile });
      try {
        const out = await bb.run(x, 2, ['map']);
        assert.equal(out.map.cols, 16 * 8 * 8);
        assert.ok(maxAbsDiff(out.map.data, ref.featureMap) < 1e-4, layout);
      } finally {
        await bb.dispose();
      }
    }
  });

  it('opens a bare ONNX file with an inferred card', async () => {
    const model = path.join(dir, 'bare.onnx');
    await writeTinyCnnOnnx(model, { size: 16 });
    const bb: Backbone = await openBackbone({ onnx: model });
    try {
      assert.equal(bb.inputSize, 16);
      assert.equal(bb.card.input.layout, 'NCHW');
      assert.deepEqual([...bb.features].sort(), ['feature_map', 'pooled']);
      const out = await bb.run(randomBatch(2, 5, 16), 2, ['pooled']);
      assert.equal(out.pooled.cols, 16);
    } finally {
      await bb.dispose();
    }
  });

  it('rejects unknown features with the list of available ones', async () => {
    const bb = await openBackbone({ card: await cnn('feat') });
    try {
      await expectError(bb.run(randomBatch(1, 0), 1, ['cls']), /no feature 'cls'.*available: pooled, map/);
    } finally {
      await bb.dispose();
    }
  });
});

describe('OnnxBackbone open-time validation', () => {
  it('missing and corrupt model files', async () => {
    const card = tinyCnnCard('nowhere.onnx');
    await expectError(openBackbone({ card: await writeCard('missing', card) }), /ONNX model not found: .*nowhere\.onnx/);
    await fs.writeFile(path.join(dir, 'garbage.onnx'), 'this is not protobuf at all');
    await expectError(openBackbone({ card: await writeCard('garbage', tinyCnnCard('garbage.onnx')) }), /cannot load ONNX model .*garbage\.onnx.*corrupt/);
    const good = await fs.readFile(path.join(dir, 'nchw.onnx'));
    await fs.writeFile(path.join(dir, 'trunc.onnx'), good.subarray(0, Math.floor(good.length / 2)));
    await expectError(openBackbone({ card: await writeCard('trunc', tinyCnnCard('trunc.onnx')) }), /cannot load ONNX model .*trunc\.onnx/);
  });

  it('card input name, outputs, layout and size must agree with the graph', async () => {
    await cnn('v');
    const base = tinyCnnCard('v.onnx');
    await expectError(openBackbone({ card: await writeCard('badname', { ...base, input: { ...base.input, name: 'image' } }) }), /input 'image' is not an input.*one of: pixel_values/);
    await expectError(
      openBackbone({ card: await writeCard('badout', { ...base, outputs: { pooled: 'pool5' } }) }),
      /reads output 'pool5'.*graph outputs: pooled, feature_map/,
    );
    await expectError(openBackbone({ card: await writeCard('badsize', { ...base, input: { ...base.input, size: 64 } }) }), /says input.size 64 .*fixed at 32x32.*set input.size: 32/);
    await expectError(openBackbone({ card: await writeCard('badlayout', { ...base, input: { ...base.input, layout: 'NHWC' } }) }), /says layout NHWC.*set input.layout: NCHW/);
    await expectError(openBackbone({ card: await cnn('v') }, { inputSize: 64 }), /fixed H\/W 32x32, so it cannot run at 64 px.*dynamic/);
  });

  it('non-image inputs are refused', async () => {
    const rank2 = path.join(dir, 'rank2.onnx');
    await fs.writeFile(
      rank2,
      makeModel({
        name: 'r2',
        opset: 17,
        nodes: [node('Relu', ['pixel_values'], ['pooled'])],
        inputs: [valueInfo('pixel_values', FLOAT, ['batch', 8])],
        outputs: [valueInfo('pooled', FLOAT, ['batch', 8])],
        initializers: [],
      }),
    );
    await expectError(openBackbone({ card: await writeCard('r2', tinyCnnCard('rank2.onnx')) }), /rank 2 .*not an image tensor/);
    const ints = path.join(dir, 'int.onnx');
    await fs.writeFile(
      ints,
      makeModel({
        name: 'int',
        opset: 17,
        nodes: [node('Cast', ['pixel_values'], ['pooled'], [{ name: 'to', type: 2, i: FLOAT }])],
        inputs: [valueInfo('pixel_values', INT64, ['batch', 3, 32, 32])],
        outputs: [valueInfo('pooled', FLOAT, ['batch', 3, 32, 32])],
        initializers: [],
      }),
    );
    await expectError(openBackbone({ card: await writeCard('int', tinyCnnCard('int.onnx')) }), /is int64, not a float32 image tensor/);
  });
});
