/**
 * npm run bench:extract [-- --model vit-s|vit-b|mobilenetv2] [--device cpu|webgpu|cuda|auto]
 *                          [--threads T] [--images N] [--batch B] [--rounds R]
 *
 * The extraction pipeline against a bare `session.run` on the same provider, session options and
 * batches, in one alternating run, with ratios:
 *   - bare session.run: the backbone's graph on batches preprocessed beforehand, with ORT's
 *     graph optimisations at medprobe's level (`all`: BiasGelu, FusedMatMul, SkipLayerNorm, Conv
 *     fusions); and the same with fusions off (`basic`: constant folding only), so what the
 *     fusions buy is measured (issue 17's fused vs unfused); and the model's int8 twin
 *     (`--precision int8`, dynamic quantisation; its output's relative RMS difference from fp32 on
 *     the first batch is printed before the rounds);
 *   - pipeline inline / on a worker: medprobe's `extractFeatures` (sample access, resize,
 *     normalise, batching, feature collection); the worker is started before the timed rounds;
 *   - JS preprocessing alone: the resize + normalise the pipeline does, without the model, so
 *     the gap between pipeline and bare is visible (the images are raw 28×28 grey pixels, as
 *     MedMNIST ships them: there is no file decode in this figure), into one reused batch buffer
 *     as the pipeline does;
 *   - the same resize + normalise as an ONNX Runtime graph (Resize with the recipe's resampling,
 *     then the per-channel scale and shift; same session options and threads as the model),
 *     writing into a reused buffer: the measured alternative to the JS kernel (issue 17). Its
 *     largest input and feature differences from the JS path are printed before the rounds;
 *   - PyTorch eager (bench/reference/peer.py, OMP_WAIT_POLICY=PASSIVE, same threads) on the same
 *     ViT shapes / MobileNetV2 layout, images and batch, where /usr/bin/python3 has torch.
 * Models are generated with random weights at the real shapes (ViT-S/14, ViT-B/14 at 224 px),
 * or ../shared's MobileNetV2 (tiny CNN when ../shared is absent): speed does not depend on weights.
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import ort from 'onnxruntime-node';
import type { SampleImage, SplitSource } from '../src/data/types.js';
import { openBackbone } from '../src/models/open.js';
import { extractFeatures } from '../src/features/extract.js';
import { preparerFor } from '../src/run/preprocessing.js';
import { createPreparer } from '../src/features/prepare.js';
import { PrepareWorker } from '../src/features/prepare-pool.js';
import { parseDevice } from '../src/models/onnx/device.js';
import { openSession, sessionOptions } from '../src/models/onnx/session.js';
import { int8Model } from '../src/models/onnx/int8.js';
import { GraphBuilder, type AttrValue } from '../src/engine/graph.js';
import type { Interpolation } from '../src/data/transforms/spec.js';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../src/models/fixtures/tiny-cnn.js';
import { writeTinyVitCard, writeTinyVitOnnx } from '../src/models/fixtures/tiny-vit.js';
import { createRng } from '../src/util/random.js';
import { alternate, benchThreads, flag, printHeader, printTable, startTorchPeer, timed, type Figure } from './peer.js';

const VITS = { 'vit-s': { dim: 384, depth: 12, heads: 6 }, 'vit-b': { dim: 768, depth: 12, heads: 12 } } as const;
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const model = arg('model', 'vit-s');
if (model !== 'mobilenetv2' && !(model in VITS)) throw new Error(`--model ${model}: use vit-s, vit-b or mobilenetv2`);
const device = parseDevice(arg('device', 'cpu'), '--device');
const threads = benchThreads();
const isVit = model !== 'mobilenetv2';
const N = flag('images', isVit ? 32 : 512);
const BATCH = flag('batch', isVit ? 8 : 32);
const rounds = flag('rounds', 3);
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

async function modelCard(dir: string): Promise<string> {
  if (isVit) {
    const shape = { ...VITS[model as keyof typeof VITS], size: 224, patchSize: 14, dynamicHW: false, seed: 1 };
    await writeTinyVitOnnx(path.join(dir, `${model}.onnx`), shape);
    await writeTinyVitCard(path.join(dir, `${model}.json`), path.join(dir, `${model}.onnx`), shape);
    return path.join(dir, `${model}.json`);
  }
  try {
    await fs.access(path.join(repo, '../shared/models/mobilenetv2-035-imagenet.onnx'));
    return path.join(repo, 'examples/models/mobilenetv2-035-imagenet.yaml');
  } catch {
    await writeTinyCnnOnnx(path.join(dir, 'tiny.onnx'), { size: 224 });
    await writeTinyCnnCard(path.join(dir, 'tiny.yaml'), path.join(dir, 'tiny.onnx'), { size: 224 });
    return path.join(dir, 'tiny.yaml');
  }
}

function syntheticSplit(n: number): SplitSource {
  const rng = createRng(1);
  const images = new Uint8Array(n * 28 * 28).map(() => rng.int(256));
  const ids = Array.from({ length: n }, (_, i) => String(i));
  return {
    size: n,
    labels: new Int32Array(n),
    ids,
    async get(i) {
      return { id: ids[i], label: new Int32Array(1), image: { kind: '2d', width: 28, height: 28, channels: 1, data: images.subarray(i * 784, (i + 1) * 784) } };
    },
  };
}

await printHeader(`bench:extract ${model} on ${device}`, threads);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-bench-extract-'));
const backbone = await openBackbone({ card: await modelCard(dir) }, { device, threads, cacheDir: path.join(dir, 'cache') });
const split = syntheticSplit(N);
const { spec, preprocessing } = preparerFor(backbone, { name: 'bench', task: { type: 'binary', labels: ['0', '1'] }, dims: 2, fingerprint: 'x', files: [], splits: { train: split } });
const prepareInline = createPreparer(spec);
const S = backbone.inputSize;
const per = 3 * S * S;
const feature = backbone.features.includes('pooled') ? 'pooled' : backbone.features.includes('cls') ? 'cls' : backbone.features[0];
const outputName = isVit ? backbone.card.vit!.tokensOutput : (backbone.card.outputs[feature] ?? backbone.features[0]);
console.log(`# model ${backbone.card.name} (${S} px), feature ${feature}, ${N} images 28×28 grey → ${S} px per round, batch ${BATCH}, compute ${JSON.stringify(backbone.compute)}`);

// Setup outside every timed region: the bare session (same file, same compute → same session options),
// the preprocessed batches, the worker.
const session = await openSession(backbone.modelPath!, backbone.compute!);
const unfused = await ort.InferenceSession.create(backbone.modelPath!, { ...sessionOptions(backbone.compute!), graphOptimizationLevel: 'basic' });
const int8 = await openSession(await int8Model(backbone.modelPath!, backbone.fingerprint, path.join(dir, 'cache')), backbone.compute!);
const images: SampleImage[] = await Promise.all(Array.from({ length: N }, (_, i) => split.get(i).then((s) => s.image)));
const batches: Float32Array[] = [];
for (let s = 0; s < N; s += BATCH) batches.push(prepareInline(images.slice(s, s + BATCH)).data.slice());
const worker = new PrepareWorker(spec);
const reused = new Float32Array(BATCH * per);

/**
 * The recipe's resize + normalise as one ORT graph: x [n, 1, 28, 28] raw pixels → Resize to S×S
 * (torch semantics: half-pixel bilinear/bicubic a = −0.75, floor nearest) → (v·rescale − mean[c]) / std[c],
 * the grey plane broadcast to three channels. Opset 18 for Resize's `axes`.
 */
function resizeNormalizeGraph(mode: Interpolation, norm: { rescale: number; mean: number[]; std: number[] }): Uint8Array {
  const g = new GraphBuilder('resize-normalize');
  const x = g.input('x', ['n', 1, 28, 28]);
  const attrs: Record<string, AttrValue> =
    mode === 'nearest'
      ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor', axes: [2, 3] }
      : { mode: mode === 'bicubic' ? 'cubic' : 'linear', coordinate_transformation_mode: 'half_pixel', cubic_coeff_a: { f: -0.75 }, axes: [2, 3] };
  const r = g.op1('Resize', [x, '', '', g.constInt64([S, S])], attrs);
  const scaled = g.op1('Mul', [r, g.constFloat([0, 1, 2].map((c) => norm.rescale / norm.std[c]), [1, 3, 1, 1])]);
  g.op1('Add', [scaled, g.constFloat([0, 1, 2].map((c) => -norm.mean[c] / norm.std[c]), [1, 3, 1, 1])], {}, 'y');
  g.output('y', ['n', 3, S, S]);
  return g.toBytes(18);
}
const steps = preprocessing.steps as { op: string; interpolation?: Interpolation; rescale?: number; mean?: number[]; std?: number[] }[];
const resample = steps.find((st) => st.op === 'resize')!.interpolation!;
const prepSession = await openSession(resizeNormalizeGraph(resample, steps.find((st) => st.op === 'normalize') as { rescale: number; mean: number[]; std: number[] }), backbone.compute!);
const raw = Float32Array.from(images.flatMap((im) => Array.from(im.data)));
async function prepareOnOrt(s: number, n: number, out: Float32Array): Promise<void> {
  const x = new ort.Tensor('float32', raw.subarray(s * 784, (s + n) * 784), [n, 1, 28, 28]);
  await prepSession.run({ x }, { y: new ort.Tensor('float32', out.subarray(0, n * per), [n, 3, S, S]) });
}
{
  // How far the graph's float32 Resize is from the JS kernel, on the inputs and on the feature.
  const n = Math.min(BATCH, N);
  const viaOrt = new Float32Array(n * per);
  await prepareOnOrt(0, n, viaOrt);
  const js = batches[0];
  const run = async (b: Float32Array) => (await session.run({ [backbone.card.input.name]: new ort.Tensor('float32', b, [n, 3, S, S]) }, [outputName]))[outputName].data as Float32Array;
  const [fj, fo] = [await run(js), await run(viaOrt)];
  const f8 = (await int8.run({ [backbone.card.input.name]: new ort.Tensor('float32', js, [n, 3, S, S]) }, [outputName]))[outputName].data as Float32Array;
  const rms = (a: Float32Array) => Math.sqrt(a.reduce((t, v) => t + v * v, 0) / a.length);
  console.log(`# int8 vs fp32, first batch of ${n}: output ${outputName} relative RMS difference ${((100 * rms(f8.map((v, i) => v - fj[i]))) / rms(fj)).toFixed(2)} %`);
  const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  const unequal = js.reduce((k, v, i) => k + (v !== viaOrt[i] ? 1 : 0), 0);
  console.log(
    `# ORT-graph vs JS preprocessing (${resample}), first batch of ${n}: model input max |Δ| ${maxAbs(js, viaOrt).toExponential(2)} (${((100 * unequal) / js.length).toFixed(0)} % of values differ); ` +
      `output ${outputName} max |Δ| ${maxAbs(fj, fo).toExponential(2)} (max |value| ${fj.reduce((m, v) => Math.max(m, Math.abs(v)), 0).toFixed(2)})`,
  );
}

const bareRun = (s: ort.InferenceSession) => () =>
  timed(async () => {
    for (const b of batches) {
      const r = await s.run({ [backbone.card.input.name]: new ort.Tensor('float32', b, [b.length / per, 3, S, S]) }, [outputName]);
      r[outputName].dispose();
    }
  });
const figures: Figure[] = [
  { name: 'bare session.run', run: bareRun(session) },
  { name: 'bare, ORT fusions off (basic)', run: bareRun(unfused) },
  { name: 'bare, int8 (dynamic quantisation)', run: bareRun(int8) },
  { name: 'pipeline, inline', run: () => timed(() => extractFeatures({ backbone, split, features: [feature], prepare: spec, batchSize: BATCH })) },
  { name: 'pipeline, worker', run: () => timed(() => extractFeatures({ backbone, split, features: [feature], prepare: spec, batchSize: BATCH, worker })) },
  {
    name: 'JS resize+normalise only',
    run: () =>
      timed(async () => {
        for (let s = 0; s < N; s += BATCH) prepareInline(images.slice(s, s + BATCH), reused);
      }),
  },
  {
    name: 'ORT-graph resize+normalise only',
    run: () =>
      timed(async () => {
        for (let s = 0; s < N; s += BATCH) await prepareOnOrt(s, Math.min(BATCH, N - s), reused);
      }),
  },
];
const peerArgs = isVit ? ['--dim', VITS[model as keyof typeof VITS].dim, '--depth', 12, '--heads', VITS[model as keyof typeof VITS].heads, '--size', 224, '--patch', 14] : ['--size', 224];
const peer = device === 'cpu' ? await startTorchPeer(isVit ? 'vit' : 'mobilenetv2', 'eager', [...peerArgs, '--batch', BATCH, '--images', N], threads) : null;
if (device !== 'cpu') console.log('# PyTorch peer: CPU only (this machine has no torch GPU build); printing medprobe figures only');
if (peer) figures.push(peer.figure);

const results = await alternate(figures, rounds);
printTable(`extraction, ${model}, ${N} images/round, batch ${BATCH}, ${device}, ${threads} threads`, results, { unit: 'img', perRound: N, against: 'bare session.run' });
console.log('\nper-round seconds (each figure in its run order):');
for (const r of results) console.log(`  ${r.name}: ${r.all.map((v) => v.toFixed(3)).join(' ')}`);
const sec = (name: string) => results.find((r) => r.name === name)!.seconds;
const bare = sec('bare session.run');
console.log(`\npipeline ÷ bare (img/s ratio, goal ≥ 0.9): inline ${(bare / sec('pipeline, inline')).toFixed(3)}, worker ${(bare / sec('pipeline, worker')).toFixed(3)}`);
console.log(`ORT fusions (level all) vs off (basic), bare: ${(sec('bare, ORT fusions off (basic)') / bare).toFixed(3)}× the fused time without them`);
console.log(`int8 twin, bare: ${(sec('bare, int8 (dynamic quantisation)') / bare).toFixed(3)}× the fp32 time`);
for (const p of ['JS resize+normalise only', 'ORT-graph resize+normalise only']) console.log(`${p.replace(' only', ' alone')}: ${(N / sec(p)).toFixed(0)} img/s = ${((100 * sec(p)) / bare).toFixed(1)} % of the bare forward time`);
if (peer) console.log(`medprobe pipeline (inline) ÷ ${peer.name}, time: ${(sec('pipeline, inline') / sec(peer.name)).toFixed(2)}× (< 1: medprobe faster)`);
peer?.close();
await worker.close();
await prepSession.release();
await session.release();
await unfused.release();
await int8.release();
await backbone.dispose();
await fs.rm(dir, { recursive: true, force: true });
