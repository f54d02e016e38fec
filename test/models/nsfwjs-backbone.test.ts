import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as tar from 'tar';
import { INCEPTION_V3, NSFWJS_PACKAGE, integrityOf, unpackNsfwjsModel, type NsfwjsModelSpec } from '../../scripts/nsfwjs-backbone.js';
import { defaultCacheDir } from '../../src/util/paths.js';
import { openBackbone } from '../../src/models/open.js';
import { tfjsBackend } from '../../src/models/tfjs/runtime.js';
import { fileSystemHandler } from '../../src/models/tfjs/fs-handler.js';
import { MedprobeError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/random.js';
import { quantizeUint8 } from './quantize-uint8.js';

// A tiny package in nsfwjs's layout, generated here: dist/models/tiny/model.min.js (a UMD bundle
// whose export is the model.json object) and group1-shard{1,2}of2.min.js (UMD bundles exporting the
// base64 of each uint8-quantized weight shard), shaped like nsfwjs's InceptionV3 top:
// input_1 → mixed10 (conv) → average_pooling2d_10 (global) → flatten_1 → dense_3 (softmax).
const S = 8;
const SPEC: NsfwjsModelSpec = { dir: 'tiny', name: 'tiny-nsfw', size: S, pooled: 'flatten_1', featureMap: 'mixed10', description: 'generated test model' };
let dir: string;
let pkg: string;
/** The same model with the dequantized weights: what the unpacked folder must compute. */
let reference: tf.LayersModel;

const umd = (global: string, literal: string): string =>
  `!function(a){if("object"==typeof exports&&"undefined"!=typeof module)module.exports=a();else{("undefined"!=typeof window?window:this).${global}=a()}}` +
  `(function(){return function(m){return m[1]()}({1:function(){return ${literal}}})});`;

/** Writes the package and returns the model with its dequantized weights. */
async function writePackage(root: string, shardText?: (i: number, b64: string) => string): Promise<tf.LayersModel> {
  const models = path.join(root, 'dist', 'models', 'tiny');
  await fs.mkdir(models, { recursive: true });
  await fs.writeFile(path.join(root, 'LICENSE'), 'MIT License\n\nCopyright (c) test\n');
  const input = tf.input({ shape: [S, S, 3], name: 'input_1' });
  const mixed = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'mixed10', biasInitializer: 'randomNormal' }).apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.averagePooling2d({ poolSize: S, strides: S, name: 'average_pooling2d_10' }).apply(mixed) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flatten_1' }).apply(pooled) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'dense_3', biasInitializer: 'randomNormal' }).apply(flat) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out, name: 'model_1' });
  const { bytes, specs, dequantized } = quantizeUint8(model);
  model.setWeights(dequantized);
  const all = Buffer.from(bytes);
  const shards = [all.subarray(0, 50), all.subarray(50)];
  const json = { modelTopology: { keras_version: '2.2.4', backend: 'tensorflow', model_config: JSON.parse(model.toJSON() as string) }, weightsManifest: [{ paths: ['group1-shard1of2', 'group1-shard2of2'], weights: specs }] };
  await fs.writeFile(path.join(models, 'model.min.js'), umd('model', JSON.stringify(json)));
  for (const [i, b] of shards.entries()) {
    const b64 = b.toString('base64');
    await fs.writeFile(path.join(models, `group1-shard${i + 1}of2.min.js`), umd(`group1_shard${i + 1}of2`, shardText ? shardText(i, b64) : JSON.stringify(b64)));
  }
  return model;
}

before(async () => {
  await tfjsBackend();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-nsfwjs-'));
  pkg = path.join(dir, 'package');
  reference = await writePackage(pkg);
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('scripts/nsfwjs-backbone.ts on a generated package in nsfwjs layout', () => {
  it('writes model.json + weights.bin + card; the backbone cut at flatten_1 gives the global average of mixed10, head untouched', async () => {
    const out = path.join(dir, 'cache', 'tiny');
    const u = await unpackNsfwjsModel(pkg, out, SPEC, { package: 'tiny@1.0.0' });
    assert.deepEqual((await fs.readdir(out)).sort(), ['LICENSE.nsfwjs', 'SOURCE.json', 'card.yaml', 'model.json', 'weights.bin']);
    assert.equal(u.weights, 4);
    assert.equal(u.sha256['weights.bin'], createHash('sha256').update(await fs.readFile(path.join(out, 'weights.bin'))).digest('hex'));
    assert.equal(JSON.parse(await fs.readFile(path.join(out, 'SOURCE.json'), 'utf8')).package, 'tiny@1.0.0');
    assert.match(await fs.readFile(path.join(out, 'LICENSE.nsfwjs'), 'utf8'), /Copyright \(c\) test/);

    const rng = createRng(3);
    const n = 2;
    const nhwc = new Float32Array(n * S * S * 3).map(() => rng.next());
    const nchw = new Float32Array(nhwc.length);
    for (let i = 0; i < n; i++) for (let p = 0; p < S * S; p++) for (let c = 0; c < 3; c++) nchw[(i * 3 + c) * S * S + p] = nhwc[(i * S * S + p) * 3 + c];
    const x = tf.tensor4d(nhwc, [n, S, S, 3]);
    const cut = tf.model({ inputs: reference.inputs, outputs: [reference.getLayer('flatten_1').output as tf.SymbolicTensor, reference.getLayer('mixed10').output as tf.SymbolicTensor] });
    const [wantPooled, wantMap] = (cut.predict(x) as tf.Tensor[]).map((t) => t.dataSync());
    const bb = await openBackbone({ card: u.card });
    try {
      assert.equal(bb.inputSize, S);
      const got = await bb.run(nchw, n, ['pooled', 'feature_map']);
      assert.equal(got.pooled.cols, 4);
      for (let i = 0; i < wantPooled.length; i++) assert.ok(Math.abs(got.pooled.data[i] - wantPooled[i]) < 1e-5, `pooled ${i}`);
      assert.ok(wantPooled.some((v) => v > 0.01), 'reference features are not all zero');
      // feature_map is mixed10 flattened channel-major (NCHW).
      for (let i = 0; i < n; i++)
        for (let p = 0; p < S * S; p++)
          for (let c = 0; c < 4; c++) assert.ok(Math.abs(got.feature_map.data[(i * 4 + c) * S * S + p] - wantMap[(i * S * S + p) * 4 + c]) < 1e-5);
    } finally {
      await bb.dispose();
    }
    // The whole model (head included) loads from the folder and matches the dequantized reference.
    const full = await tf.loadLayersModel(fileSystemHandler(out));
    const a = (full.predict(x) as tf.Tensor).dataSync();
    const b = (reference.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6);
  });

  it('a damaged package stops with one line naming the file, and the previous folder stays', async () => {
    const out = path.join(dir, 'cache', 'keep');
    await unpackNsfwjsModel(pkg, out, SPEC);
    const before = await fs.readFile(path.join(out, 'weights.bin'));
    const isErr = (re: RegExp) => (e: unknown) => e instanceof MedprobeError && re.test(e.message) && !!e.hint && !e.oneLine().includes('\n');

    const missing = path.join(dir, 'missing');
    await fs.cp(pkg, missing, { recursive: true });
    await fs.rm(path.join(missing, 'dist/models/tiny/group1-shard2of2.min.js'));
    await assert.rejects(unpackNsfwjsModel(missing, out, SPEC), isErr(/no dist\/models\/tiny\/group1-shard2of2\.min\.js/));

    const notB64 = path.join(dir, 'notb64');
    await writePackage(notB64, (i, b64) => (i === 1 ? '12345' : JSON.stringify(b64)));
    await assert.rejects(unpackNsfwjsModel(notB64, out, SPEC), isErr(/group1-shard2of2\.min\.js does not evaluate to a base64 weight shard/));

    const short = path.join(dir, 'short');
    await writePackage(short, (i, b64) => JSON.stringify(i === 1 ? b64.slice(0, -8) : b64));
    await assert.rejects(unpackNsfwjsModel(short, out, SPEC), isErr(/shards hold \d+ bytes but its manifest needs \d+/));

    const broken = path.join(dir, 'broken');
    await writePackage(broken);
    await fs.writeFile(path.join(broken, 'dist/models/tiny/model.min.js'), 'module.exports = {');
    await assert.rejects(unpackNsfwjsModel(broken, out, SPEC), isErr(/model\.min\.js is not a loadable nsfwjs model bundle/));
    // Bundles run without require or process: one that reaches for them is refused, not run.
    await fs.writeFile(path.join(broken, 'dist/models/tiny/model.min.js'), "module.exports = require('node:fs').readdirSync('/')");
    await assert.rejects(unpackNsfwjsModel(broken, out, SPEC), isErr(/model\.min\.js is not a loadable nsfwjs model bundle: require is not defined/));

    assert.deepEqual(await fs.readFile(path.join(out, 'weights.bin')), before);
    assert.deepEqual((await fs.readdir(path.join(dir, 'cache'))).filter((f) => f.startsWith('.tmp')), []);
  });

  it('integrityOf prints the npm dist.integrity form (sha512, base64)', async () => {
    const f = path.join(dir, 'blob');
    await fs.writeFile(f, 'nsfwjs');
    assert.equal(await integrityOf(f), `sha512-${createHash('sha512').update('nsfwjs').digest('base64')}`);
  });
});

// The real package, when a copy is at hand (the script's download, or $MEDPROBE_NSFWJS_TARBALL); never downloaded here.
const realTarball = process.env.MEDPROBE_NSFWJS_TARBALL ?? path.join(defaultCacheDir(), 'downloads', `nsfwjs-${NSFWJS_PACKAGE.version}.tgz`);
const realSkip = existsSync(realTarball) ? false : `no nsfwjs ${NSFWJS_PACKAGE.version} tarball at ${realTarball} (node --import tsx scripts/nsfwjs-backbone.ts downloads it)`;

describe('the real nsfwjs 4.4.0 tarball', { skip: realSkip }, () => {
  it('has the registry integrity, unpacks to the known weight bytes, and the head on `pooled` is the full model', async () => {
    assert.equal(await integrityOf(realTarball), NSFWJS_PACKAGE.integrity);
    const work = await fs.mkdtemp(path.join(dir, 'real-'));
    await tar.x({ file: realTarball, cwd: work, filter: (p) => p === 'package/LICENSE' || p.startsWith('package/dist/models/inception_v3/') });
    const u = await unpackNsfwjsModel(path.join(work, 'package'), path.join(work, 'out'), INCEPTION_V3);
    assert.equal(u.weights, 382);
    assert.equal(u.sha256['weights.bin'], '8a457f3fdec7db18b16e44323454db0eaeb8f314eda0046b2e293e58a5bfabf4');
    // One 299 px image (a smooth ramp, as [0,1] RGB): the head applied to medprobe's `pooled` row
    // equals the whole Keras model's softmax, so `pooled` is exactly the classifier's input.
    const S = INCEPTION_V3.size;
    const nchw = new Float32Array(3 * S * S).map((_, i) => ((i % S) + Math.floor(i / S)) / (3 * S));
    const nhwc = new Float32Array(nchw.length);
    for (let p = 0; p < S * S; p++) for (let c = 0; c < 3; c++) nhwc[p * 3 + c] = nchw[c * S * S + p];
    const bb = await openBackbone({ card: u.card });
    const full = await tf.loadLayersModel(fileSystemHandler(u.dir));
    try {
      const pooled = (await bb.run(nchw, 1, ['pooled'])).pooled;
      assert.equal(pooled.cols, 2048);
      const head = ['dense_1', 'dense_2', 'dense_3'].map((n) => full.getLayer(n));
      const viaHead = head.reduce((t, l) => l.apply(t) as tf.Tensor, tf.tensor2d(pooled.data, [1, 2048]) as tf.Tensor).dataSync();
      const whole = Array.from((full.predict(tf.tensor4d(nhwc, [1, S, S, 3])) as tf.Tensor).dataSync());
      assert.ok(Math.abs(whole.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      for (let k = 0; k < 5; k++) assert.ok(Math.abs(viaHead[k] - whole[k]) < 1e-5, `class ${k}: ${viaHead[k]} vs ${whole[k]}`);
    } finally {
      await bb.dispose();
      full.dispose();
    }
  });
});
