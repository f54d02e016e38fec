/**
 * npm run bench:extract [-- --model vit-s|vit-b|mobilenetv2] [--device cpu|webgpu|cuda|auto]
 *                          [--threads T] [--images N] [--batch B] [--rounds R]
 *
 * The extraction pipeline against a bare `session.run` on the same provider, session options and
 * batches, in one alternating run, with ratios:
 *   - bare session.run: the backbone's graph on batches preprocessed beforehand;
 *   - pipeline inline / on a worker: medprobe's `extractFeatures` (sample access, resize,
 *     normalise, batching, feature collection); the worker is started before the timed rounds;
 *   - JS preprocessing alone: the resize + normalise the pipeline does, without the model, so
 *     the gap between pipeline and bare is visible (the images are raw 28×28 grey pixels, as
 *     MedMNIST ships them: there is no file decode in this figure);
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
import { openSession } from '../src/models/onnx/session.js';
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
const { spec } = preparerFor(backbone, { name: 'bench', task: { type: 'binary', labels: ['0', '1'] }, dims: 2, fingerprint: 'x', files: [], splits: { train: split } });
const prepareInline = createPreparer(spec);
const S = backbone.inputSize;
const per = 3 * S * S;
const feature = backbone.features.includes('pooled') ? 'pooled' : backbone.features.includes('cls') ? 'cls' : backbone.features[0];
const outputName = isVit ? backbone.card.vit!.tokensOutput : (backbone.card.outputs[feature] ?? backbone.features[0]);
console.log(`# model ${backbone.card.name} (${S} px), feature ${feature}, ${N} images 28×28 grey → ${S} px per round, batch ${BATCH}, compute ${JSON.stringify(backbone.compute)}`);

// Setup outside every timed region: the bare session (same file, same compute → same session options),
// the preprocessed batches, the worker.
const session = await openSession(backbone.modelPath!, backbone.compute!);
const images: SampleImage[] = await Promise.all(Array.from({ length: N }, (_, i) => split.get(i).then((s) => s.image)));
const batches: Float32Array[] = [];
for (let s = 0; s < N; s += BATCH) batches.push(prepareInline(images.slice(s, s + BATCH)).data.slice());
const worker = new PrepareWorker(spec);

const figures: Figure[] = [
  {
    name: 'bare session.run',
    run: () =>
      timed(async () => {
        for (const b of batches) {
          const r = await session.run({ [backbone.card.input.name]: new ort.Tensor('float32', b, [b.length / per, 3, S, S]) }, [outputName]);
          r[outputName].dispose();
        }
      }),
  },
  { name: 'pipeline, inline', run: () => timed(() => extractFeatures({ backbone, split, features: [feature], prepare: spec, batchSize: BATCH })) },
  { name: 'pipeline, worker', run: () => timed(() => extractFeatures({ backbone, split, features: [feature], prepare: spec, batchSize: BATCH, worker })) },
  {
    name: 'JS resize+normalise only',
    run: () =>
      timed(async () => {
        for (let s = 0; s < N; s += BATCH) prepareInline(images.slice(s, s + BATCH));
      }),
  },
];
const peerArgs = isVit ? ['--dim', VITS[model as keyof typeof VITS].dim, '--depth', 12, '--heads', VITS[model as keyof typeof VITS].heads, '--size', 224, '--patch', 14] : ['--size', 224];
const peer = device === 'cpu' ? await startTorchPeer(isVit ? 'vit' : 'mobilenetv2', 'eager', [...peerArgs, '--batch', BATCH, '--images', N], threads) : null;
if (device !== 'cpu') console.log('# PyTorch peer: CPU only (this machine has no torch GPU build); printing medprobe figures only');
if (peer) figures.push(peer.figure);

const results = await alternate(figures, rounds);
printTable(`extraction, ${model}, ${N} images/round, batch ${BATCH}, ${device}, ${threads} threads`, results, { unit: 'img', perRound: N, against: 'bare session.run' });
const sec = (name: string) => results.find((r) => r.name === name)!.seconds;
const bare = sec('bare session.run');
console.log(`\npipeline ÷ bare (img/s ratio, goal ≥ 0.9): inline ${(bare / sec('pipeline, inline')).toFixed(3)}, worker ${(bare / sec('pipeline, worker')).toFixed(3)}`);
console.log(`JS resize+normalise alone: ${(N / sec('JS resize+normalise only')).toFixed(0)} img/s = ${((100 * sec('JS resize+normalise only')) / bare).toFixed(1)} % of the bare forward time`);
if (peer) console.log(`medprobe pipeline (inline) ÷ ${peer.name}, time: ${(sec('pipeline, inline') / sec(peer.name)).toFixed(2)}× (< 1: medprobe faster)`);
peer?.close();
await worker.close();
await session.release();
await backbone.dispose();
await fs.rm(dir, { recursive: true, force: true });
