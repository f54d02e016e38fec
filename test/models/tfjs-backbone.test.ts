import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openBackbone } from '../../src/models/open.js';
import { tfjsBackend } from '../../src/models/tfjs/runtime.js';
import { fileSystemHandler } from '../../src/models/tfjs/fs-handler.js';
import { MedprobeError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/random.js';
import { quantizeUint8 } from './quantize-uint8.js';

// A Teachable-Machine-shaped model built here: Sequential[ Sequential[pre, inner(functional)], GAP, Dense head ],
// with the backbone feature at inner/feat. Saved through tf.io.withSaveHandler and written as two weight shards.
const S = 8;
let dir: string;
let modelDir: string;
let pre: tf.layers.Layer;
let innerConv: tf.layers.Layer;
let feat: tf.layers.Layer;

async function writeCard(name: string, fields: Record<string, unknown>): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  await fs.writeFile(
    file,
    JSON.stringify({
      name,
      file: 'tiny',
      format: 'tfjs-layers',
      input: { name: 'x', layout: 'NHWC', size: S, rescale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
      outputs: { pooled: 'wrapper/inner/feat' },
      ...fields,
    }),
  );
  return file;
}

before(async () => {
  await tfjsBackend();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-tfjs-'));
  modelDir = path.join(dir, 'tiny');
  await fs.mkdir(modelDir);
  const innerIn = tf.input({ shape: [S, S, 4], name: 'inner_in' });
  innerConv = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'inner_conv', kernelInitializer: 'glorotNormal', biasInitializer: 'randomNormal' });
  feat = tf.layers.conv2d({ filters: 6, kernelSize: 1, activation: 'relu6', name: 'feat', biasInitializer: 'randomNormal' });
  const inner = tf.model({ inputs: innerIn, outputs: feat.apply(innerConv.apply(innerIn)) as tf.SymbolicTensor, name: 'inner' });
  pre = tf.layers.conv2d({ filters: 4, kernelSize: 1, inputShape: [S, S, 3], name: 'pre', biasInitializer: 'randomNormal' });
  const wrapper = tf.sequential({ name: 'wrapper', layers: [pre, inner] });
  const top = tf.sequential({ name: 'top', layers: [wrapper, tf.layers.globalAveragePooling2d({ name: 'gap' }), tf.layers.dense({ units: 2, name: 'head', activation: 'softmax' })] });
  await top.save(
    tf.io.withSaveHandler(async (a) => {
      const bytes = Buffer.from(a.weightData as ArrayBuffer);
      const half = Math.floor(bytes.length / 8) * 4;
      await fs.writeFile(path.join(modelDir, 'group1-shard1of2.bin'), bytes.subarray(0, half));
      await fs.writeFile(path.join(modelDir, 'group1-shard2of2.bin'), bytes.subarray(half));
      const manifest = [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: a.weightSpecs }];
      await fs.writeFile(path.join(modelDir, 'model.json'), JSON.stringify({ modelTopology: a.modelTopology, format: 'layers-model', weightsManifest: manifest }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** NCHW input for the backbone and the same images NHWC for the direct tf reference. */
function images(n: number): { nchw: Float32Array; nhwc: tf.Tensor4D } {
  const rng = createRng(7);
  const nchw = new Float32Array(n * 3 * S * S).map(() => rng.next() * 2 - 1);
  const nhwc = new Float32Array(nchw.length);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < S * S; p++) nhwc[(i * S * S + p) * 3 + c] = nchw[(i * 3 + c) * S * S + p];
  return { nchw, nhwc: tf.tensor4d(nhwc, [n, S, S, 3]) };
}

describe('TfjsBackbone on a nested layers model', () => {
  it('cuts at the nested feature node: pooled = mean over H,W of feat, map = feat channel-major; head never runs', async () => {
    const card = await writeCard('tiny', { outputs: { pooled: 'wrapper/inner/feat', map: 'feat' }, pool: { pooled: 'avg', map: 'none' } });
    const bb = await openBackbone({ card });
    try {
      assert.equal(bb.runtime.name, 'tfjs-wasm');
      assert.match(bb.fingerprint, /^[0-9a-f]{64}$/);
      const n = 3;
      const { nchw, nhwc } = images(n);
      const out = await bb.run(nchw, n, ['pooled', 'map']);
      // Reference: the three layers applied eagerly, one after another, outside any cut model.
      const ref = (feat.apply(innerConv.apply(pre.apply(nhwc))) as tf.Tensor4D).arraySync();
      assert.equal(out.pooled.rows, n);
      assert.equal(out.pooled.cols, 6);
      assert.equal(out.map.cols, 6 * S * S);
      let maxAbs = 0;
      for (let i = 0; i < n; i++)
        for (let c = 0; c < 6; c++) {
          let s = 0;
          for (let y = 0; y < S; y++)
            for (let x = 0; x < S; x++) {
              const v = ref[i][y][x][c];
              s += v;
              maxAbs = Math.max(maxAbs, Math.abs(v));
              assert.ok(Math.abs(out.map.data[i * 6 * S * S + c * S * S + y * S + x] - v) < 1e-5);
            }
          assert.ok(Math.abs(out.pooled.data[i * 6 + c] - s / (S * S)) < 1e-5, `pooled[${i},${c}]`);
        }
      assert.ok(maxAbs > 0.05, 'reference activations are not all zero');
      // One image alone gives the same row as inside a batch of three.
      const one = await bb.run(nchw.subarray(3 * S * S), 1, ['pooled']);
      for (let c = 0; c < 6; c++) assert.ok(Math.abs(one.pooled.data[c] - out.pooled.data[6 + c]) < 1e-5);
      const grid = await (bb as unknown as { runGrid: (b: Float32Array, n: number, m: string[]) => Promise<Record<string, { dims: number[] }>> }).runGrid(nchw, n, ['map']);
      assert.deepEqual(grid.map.dims, [n, 6, S, S]);
    } finally {
      await bb.dispose();
    }
  });

  it('fileSystemHandler round-trips a model: save to a folder, load back, same predictions', async () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], biasInitializer: 'randomNormal', name: 'd' })] });
    const folder = path.join(dir, 'saved');
    await m.save(fileSystemHandler(folder));
    assert.deepEqual((await fs.readdir(folder)).sort(), ['model.json', 'weights.bin']);
    const back = await tf.loadLayersModel(fileSystemHandler(folder));
    const x = tf.tensor2d([[1, -2, 0.5, 3]]);
    const a = (m.predict(x) as tf.Tensor).dataSync();
    const b = (back.predict(x) as tf.Tensor).dataSync();
    assert.deepEqual(Array.from(b), Array.from(a));
  });

  it('uint8-quantized weights (tensorflowjs_converter --quantize_uint8) load dequantized; a short shard is still refused', async () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], biasInitializer: 'randomNormal', name: 'd' })] });
    const folder = path.join(dir, 'quantized');
    await fs.mkdir(folder);
    const { bytes, specs, dequantized } = quantizeUint8(m);
    await fs.writeFile(path.join(folder, 'weights.bin'), bytes);
    await fs.writeFile(path.join(folder, 'model.json'), JSON.stringify({ modelTopology: JSON.parse(m.toJSON() as string), weightsManifest: [{ paths: ['weights.bin'], weights: specs }] }));
    const back = await tf.loadLayersModel(fileSystemHandler(folder));
    m.setWeights(dequantized);
    const x = tf.tensor2d([[1, -2, 0.5, 3]]);
    const got = Array.from((back.predict(x) as tf.Tensor).dataSync());
    const want = Array.from((m.predict(x) as tf.Tensor).dataSync());
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `output ${i}: ${got[i]} vs ${want[i]}`);
    await fs.truncate(path.join(folder, 'weights.bin'), bytes.length - 1);
    await assert.rejects(tf.loadLayersModel(fileSystemHandler(folder)), (e: unknown) => e instanceof MedprobeError && e.message.includes(`hold ${bytes.length - 1} bytes but the manifest needs ${bytes.length}`));
  });

  it('feature node not in the model → MedprobeError listing close layer names', async () => {
    const card = await writeCard('typo', { outputs: { pooled: 'wrapper/inner/fet' } });
    await assert.rejects(openBackbone({ card }), (e: unknown) => e instanceof MedprobeError && /not a layer/.test(e.message) && /feat/.test(e.hint ?? '') && /wrapper\/inner\/feat/.test(e.hint ?? ''));
  });

  it('missing weight shard → MedprobeError naming the shard', async () => {
    const broken = path.join(dir, 'broken');
    await fs.cp(modelDir, broken, { recursive: true });
    await fs.rm(path.join(broken, 'group1-shard2of2.bin'));
    const card = await writeCard('broken', { file: 'broken' });
    await assert.rejects(openBackbone({ card }), (e: unknown) => e instanceof MedprobeError && /weight file missing/.test(e.message) && e.message.includes('group1-shard2of2.bin'));
  });

  it('truncated weights, folder without model.json, wrong input size → MedprobeError', async () => {
    const cut = path.join(dir, 'cut');
    await fs.cp(modelDir, cut, { recursive: true });
    await fs.truncate(path.join(cut, 'group1-shard2of2.bin'), 8);
    await assert.rejects(openBackbone({ card: await writeCard('cut', { file: 'cut' }) }), (e: unknown) => e instanceof MedprobeError && /manifest needs/.test(e.message));
    await fs.mkdir(path.join(dir, 'empty'));
    await assert.rejects(openBackbone({ card: await writeCard('empty', { file: 'empty' }) }), (e: unknown) => e instanceof MedprobeError && /no model.json/.test(e.message));
    const card = await writeCard('size', { input: { name: 'x', layout: 'NHWC', size: 16 } });
    await assert.rejects(openBackbone({ card }), (e: unknown) => e instanceof MedprobeError && /fixed 8x8 input/.test(e.message));
  });
});
