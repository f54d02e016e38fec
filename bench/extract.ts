/**
 * npm run bench:extract — the full extraction pipeline (sample access, resize, normalise,
 * batching, feature collection) against a bare `session.run` loop over the same preprocessed
 * batches, same model, same session options. Prints img/s of both and their ratio.
 *
 * Model: ../shared/models/mobilenetv2-035-imagenet.onnx when present (the real default),
 * else the repo's generated tiny CNN at 224 px. Images: 28×28 grey, as MedMNIST.
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import ort from 'onnxruntime-node';
import type { SplitSource } from '../src/data/types.js';
import { openBackbone } from '../src/models/open.js';
import { extractFeatures } from '../src/features/extract.js';
import { preparerFor } from '../src/run/preprocessing.js';
import { createPreparer } from '../src/features/prepare.js';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../src/models/fixtures/tiny-cnn.js';
import { createRng } from '../src/util/random.js';

const N = Number(process.env.BENCH_N ?? 512);
const BATCH = 32;
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const sharedCard = path.join(repo, 'examples/models/mobilenetv2-035-imagenet.yaml');
const sharedOnnx = path.join(repo, '../shared/models/mobilenetv2-035-imagenet.onnx');

async function modelCard(): Promise<string> {
  try {
    await fs.access(sharedOnnx);
    return sharedCard;
  } catch {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-bench-'));
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

const cardPath = await modelCard();
const backbone = await openBackbone({ card: cardPath });
const split = syntheticSplit(N);
const { spec } = preparerFor(backbone, { name: 'bench', task: { type: 'binary', labels: ['0', '1'] }, dims: 2, fingerprint: 'x', files: [], splits: { train: split } });
const prepareInline = createPreparer(spec);
const S = backbone.inputSize;
const per = 3 * S * S;
const feature = backbone.features.includes('pooled') ? 'pooled' : backbone.features[0];

// Bare loop: same session options as the backbone (intra-op threads = cores), batches preprocessed beforehand.
const session = await ort.InferenceSession.create(backbone.modelPath!, { intraOpNumThreads: os.availableParallelism() });
const batches: Float32Array[] = [];
for (let start = 0; start < N; start += BATCH) {
  const n = Math.min(BATCH, N - start);
  const images = await Promise.all(Array.from({ length: n }, (_, j) => split.get(start + j).then((s) => s.image)));
  batches.push(prepareInline(images).data);
}
const outputName = backbone.card.outputs[feature] ?? session.outputNames[0];
async function bare(): Promise<number> {
  const t0 = performance.now();
  for (const b of batches) {
    const n = b.length / per;
    const r = await session.run({ [backbone.card.input.name]: new ort.Tensor('float32', b, [n, 3, S, S]) }, [outputName]);
    r[outputName].dispose();
  }
  return N / ((performance.now() - t0) / 1000);
}
async function pipeline(worker: boolean): Promise<number> {
  const t0 = performance.now();
  await extractFeatures({ backbone, split, features: [feature], prepare: spec, batchSize: BATCH, worker });
  return N / ((performance.now() - t0) / 1000);
}

await bare(); // warm-up every path once
await pipeline(true);
await pipeline(false);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const rates = { bare: [] as number[], worker: [] as number[], inline: [] as number[] };
for (let r = 0; r < rounds; r++) {
  rates.bare.push(await bare());
  rates.worker.push(await pipeline(true));
  rates.inline.push(await pipeline(false));
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const b = median(rates.bare);
const w = median(rates.worker);
const i = median(rates.inline);
console.log(`model: ${backbone.card.name} (${S} px), ${N} images 28×28 → ${S}, batch ${BATCH}, ${os.availableParallelism()} cores, ${rounds} rounds (median)`);
console.log(`bare session.run loop (preprocessed beforehand): ${b.toFixed(1)} img/s`);
console.log(`medprobe pipeline, preprocessing on a worker   : ${w.toFixed(1)} img/s   ratio ${(w / b).toFixed(3)}`);
console.log(`medprobe pipeline, preprocessing inline        : ${i.toFixed(1)} img/s   ratio ${(i / b).toFixed(3)}`);
await session.release();
await backbone.dispose();
