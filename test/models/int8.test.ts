/**
 * int8 backbones (--precision int8): the quantised graph computes exactly the scheme int8.ts
 * documents (checked against an independent JS reference of DynamicQuantizeLinear, per-channel
 * uint8 weights, integer products and the rescale, for MatMul, Gemm and grouped Conv); a tiny ViT
 * at int8 gives features (final output and last-4 blocks) within a stated tolerance of fp32;
 * int8 is recorded in provenance and cache keys, CPU only, and the user's file is untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { writeTinyVitCard, writeTinyVitOnnx } from '../../src/models/fixtures/tiny-vit.js';
import { quantiseColumns, quantizeDynamicInt8 } from '../../src/models/onnx/int8.js';
import { FLOAT, attr, decodeModel, encodeModel, floatTensor, makeModel, node, valueInfo, type GraphProto } from '../../src/models/onnx/proto.js';
import { resolveCompute } from '../../src/models/onnx/provider.js';
import { featureKey } from '../../src/features/cache.js';
import { ComputeSchema } from '../../src/results/schema.js';
import { MedprobeError } from '../../src/util/errors.js';
import { hashFile } from '../../src/util/hash.js';
import { createRng } from '../../src/util/random.js';
import { withTempDir } from '../helpers/assertions.js';
import { runAtPrecisions } from './precision-fixture.js';

/** ONNX DynamicQuantizeLinear, from the operator spec (round half to even, uint8, range includes 0). */
function dynamicQuantize(x: Float32Array): { q: Int32Array; scale: number; zero: number } {
  let lo = 0;
  let hi = 0;
  for (const v of x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const scale = Math.fround((hi - lo) / 255);
  const zero = Math.min(255, Math.max(0, roundEven(-lo / scale)));
  return { q: Int32Array.from(x, (v) => Math.min(255, Math.max(0, roundEven(v / scale) + zero))), scale, zero };
}
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const rng = createRng(17);
const normal = (n: number, std = 1): Float32Array => Float32Array.from({ length: n }, () => std * rng.normal());

async function runBoth(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<{ fp32: Float32Array; int8: Float32Array; model: GraphProto }> {
  const run = async (b: Uint8Array): Promise<Float32Array> => {
    const s = await ort.InferenceSession.create(b, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const y = (await s.run(feeds)).y.data as Float32Array;
    await s.release();
    return y;
  };
  const model = decodeModel(bytes);
  quantizeDynamicInt8(model, 'test.onnx');
  return { fp32: await run(bytes), int8: await run(encodeModel(model)), model: model.graph as GraphProto };
}

/** Largest |a − b| over the largest |b|. */
function relMax(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

test('MatMul ([B,T,K] × constant [K,N]) and Gemm (transB, bias): ORT computes the documented int8 scheme', async () => {
  const [B, T, K, N] = [2, 5, 24, 7];
  const x = normal(B * T * K);
  const w = normal(K * N, 0.3);
  const wt = normal(N * K, 0.3); // Gemm's B with transB = 1: [N, K]
  const bias = normal(N);
  const bytes = makeModel({
    name: 'mm',
    nodes: [
      node('MatMul', ['x', 'w'], ['h']),
      node('Reshape', ['x', 'flat'], ['x2']),
      node('Gemm', ['x2', 'wt', 'bias'], ['g'], [attr.int('transB', 1)]),
      node('Reshape', ['g', 'back'], ['g3']),
      node('Add', ['h', 'g3'], ['y']),
    ],
    inputs: [valueInfo('x', FLOAT, [B, T, K])],
    outputs: [valueInfo('y', FLOAT, [B, T, N])],
    initializers: [floatTensor('w', [K, N], w), floatTensor('wt', [N, K], wt), floatTensor('bias', [N], bias), { name: 'flat', dims: [2], dataType: 7, rawData: new Uint8Array(BigInt64Array.from([BigInt(B * T), BigInt(K)]).buffer) }, { name: 'back', dims: [3], dataType: 7, rawData: new Uint8Array(BigInt64Array.from([BigInt(B), BigInt(T), BigInt(N)]).buffer) }],
    opset: 17,
  });
  const { fp32, int8, model } = await runBoth(bytes, { x: new ort.Tensor('float32', x, [B, T, K]) });
  assert.deepEqual(model.node.filter((n) => n.opType === 'MatMulInteger').length, 2);
  assert.ok(!model.initializer.some((t) => t.name === 'w' || t.name === 'wt'), 'float weights dropped');

  // Independent reference: x quantised once (both consumers share it), weights per output column.
  const a = dynamicQuantize(x);
  const qw = quantiseColumns(w, K, N);
  const wkn = new Float32Array(K * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) wkn[k * N + n] = wt[n * K + k];
  const qt = quantiseColumns(wkn, K, N);
  const ref = new Float32Array(B * T * N);
  for (let r = 0; r < B * T; r++)
    for (let n = 0; n < N; n++) {
      let s1 = 0;
      let s2 = 0;
      for (let k = 0; k < K; k++) {
        const xa = a.q[r * K + k] - a.zero;
        s1 += xa * (qw.q[k * N + n] - 128);
        s2 += xa * (qt.q[k * N + n] - 128);
      }
      ref[r * N + n] = s1 * a.scale * qw.s[n] + s2 * a.scale * qt.s[n] + bias[n];
    }
  assert.ok(relMax(int8, ref) < 1e-5, `int8 graph vs the scheme's reference: ${relMax(int8, ref)}`);
  // And it is an approximation of the fp32 graph (8-bit steps on both operands).
  const e = relMax(int8, fp32);
  assert.ok(e > 0 && e < 0.05, `int8 vs fp32: ${e}`);
});

test('Conv (grouped, strided, padded, with bias): ORT computes the documented int8 scheme', async () => {
  const [N, C, H, W, M, G, k] = [2, 4, 9, 9, 6, 2, 3];
  const x = normal(N * C * H * W);
  const w = normal(M * (C / G) * k * k, 0.4);
  const bias = normal(M);
  const bytes = makeModel({
    name: 'conv',
    nodes: [node('Conv', ['x', 'w', 'b'], ['y'], [attr.int('group', G), attr.ints('strides', [2, 2]), attr.ints('pads', [1, 1, 1, 1]), attr.ints('kernel_shape', [k, k])])],
    inputs: [valueInfo('x', FLOAT, [N, C, H, W])],
    outputs: [valueInfo('y', FLOAT, [N, M, 5, 5])],
    initializers: [floatTensor('w', [M, C / G, k, k], w), floatTensor('b', [M], bias)],
    opset: 17,
  });
  const { fp32, int8, model } = await runBoth(bytes, { x: new ort.Tensor('float32', x, [N, C, H, W]) });
  assert.equal(model.node.filter((n) => n.opType === 'ConvInteger').length, 1);

  const a = dynamicQuantize(x);
  const per = (C / G) * k * k;
  // Per output channel m: scale max|w_m| / 127, levels 128 ± 127.
  const ws = Array.from({ length: M }, (_, m) => Math.fround(Math.max(...w.subarray(m * per, (m + 1) * per).map(Math.abs)) / 127));
  const ref = new Float32Array(N * M * 25);
  for (let n = 0; n < N; n++)
    for (let m = 0; m < M; m++)
      for (let oy = 0; oy < 5; oy++)
        for (let ox = 0; ox < 5; ox++) {
          let s = 0;
          const g = Math.floor(m / (M / G));
          for (let c = 0; c < C / G; c++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const iy = oy * 2 - 1 + ky;
                const ix = ox * 2 - 1 + kx;
                // Padding is the quantised zero point, i.e. 0 after subtracting it.
                const xa = iy < 0 || ix < 0 || iy >= H || ix >= W ? 0 : a.q[((n * C + g * (C / G) + c) * H + iy) * W + ix] - a.zero;
                const wq = Math.round(w[((m * (C / G) + c) * k + ky) * k + kx] / ws[m]);
                s += xa * wq;
              }
          ref[((n * M + m) * 5 + oy) * 5 + ox] = s * a.scale * ws[m] + bias[m];
        }
  assert.ok(relMax(int8, ref) < 1e-5, `int8 conv vs the scheme's reference: ${relMax(int8, ref)}`);
  const e = relMax(int8, fp32);
  assert.ok(e > 0 && e < 0.05, `int8 vs fp32: ${e}`);
});

/**
 * A 6-block ViT with random weights, int8 vs fp32: each of its 25 quantised products (4 per block and
 * the patch embedding) adds 8-bit rounding on activations and weights; measured, the unit-scale
 * features move by 0.02–0.05 at most and 1.5 % relative RMS. The bounds are 3× that.
 */
const INT8_MAX_TOLERANCE = 0.15;
const INT8_RMS_TOLERANCE = 0.045;

test('a tiny ViT at int8 on CPU: features within tolerance of fp32, recorded and keyed apart, CPU only', async (t) => {
  await withTempDir('int8', async (dir) => {
    const opts = { depth: 6, size: 28, patchSize: 14, dim: 32, seed: 4 };
    const model = path.join(dir, 'vit.onnx');
    const card = path.join(dir, 'vit.json');
    await writeTinyVitOnnx(model, opts);
    await writeTinyVitCard(card, model, opts);
    const sha = await hashFile(model);
    const cacheDir = path.join(dir, 'cache');
    const n = 3;
    const x = normal(n * 3 * 28 * 28);
    const features = ['cls', 'mean-patch', 'last4/cls+mean-patch'];
    const got = await runAtPrecisions(card, cacheDir, x, n, features, ['fp32', 'int8'] as const);
    for (const k of [...features, 'block:-2']) {
      const a = k === 'block:-2' ? got.fp32.grid : got.fp32.f[k];
      const q = k === 'block:-2' ? got.int8.grid : got.int8.f[k];
      assert.equal(q.length, a.length);
      let max = 0;
      let num = 0;
      let den = 0;
      for (let i = 0; i < a.length; i++) {
        max = Math.max(max, Math.abs(a[i] - q[i]));
        num += (a[i] - q[i]) ** 2;
        den += a[i] ** 2;
      }
      const rms = Math.sqrt(num / den);
      assert.ok(max < INT8_MAX_TOLERANCE && rms < INT8_RMS_TOLERANCE, `${k}: max |int8 − fp32| = ${max}, relative RMS ${rms}`);
      assert.ok(max > 0, `${k}: int8 differs from fp32 at all (the quantisation ran)`);
      t.diagnostic(`${k}: max |int8 − fp32| = ${max.toExponential(2)}, relative RMS ${rms.toExponential(2)}`);
    }

    assert.deepEqual(got.int8.keys, { precision: 'int8' });
    assert.equal(ComputeSchema.parse(got.int8.compute).precision, 'int8');
    const parts = { modelFingerprint: sha, inputSize: 28, datasetFingerprint: 'd', split: 'train', preprocessing: 'p', feature: 'cls' };
    assert.notEqual(featureKey({ ...parts, ...got.int8.keys }), featureKey({ ...parts, ...got.fp32.keys }));

    assert.equal(await hashFile(model), sha);
    const edited = path.join(cacheDir, 'models', 'edited');
    const files = (await fs.readdir(edited)).filter((f) => f.includes('int8')).sort();
    assert.deepEqual(files, [`${sha}-4-int8.onnx`, `${sha}-int8.onnx`]);
    for (const f of files) {
      const g = decodeModel(await fs.readFile(path.join(edited, f))).graph as GraphProto;
      assert.equal(g.node.filter((nd) => nd.opType === 'MatMulInteger').length, 6 * 4, `${f}: qkv, proj, fc1, fc2 of 6 blocks`);
      assert.ok(!g.node.some((nd) => nd.opType === 'Conv'), `${f}: the patch embedding is a ConvInteger`);
      assert.ok([...g.input, ...g.output].every((v) => v.type!.tensorType!.elemType === FLOAT), `${f}: inputs and outputs float32`);
    }
  });
});

test('int8 is CPU only: a GPU device is refused in one line before any provider is tried', async () => {
  for (const device of ['cuda', 'webgpu'] as const) {
    await assert.rejects(resolveCompute({ device, precision: 'int8' }), (e: unknown) => e instanceof MedprobeError && /int8 runs on the CPU only/.test(e.message) && /--device cpu/.test(e.hint ?? ''));
  }
  assert.equal((await resolveCompute({ device: 'cpu', precision: 'int8', threads: 1 })).precision, 'int8');
  assert.equal((await resolveCompute({ device: 'cpu', threads: 1 })).precision, undefined);
});
