// Real-data check of the classification protocols: PneumoniaMNIST features from the feature
// cache (written by `medprobe run examples/pneumonia.yaml`, MobileNetV2-0.35 pooled, 224 px)
// through kNN, the linear-probe grid and few-shot. Numbers go to docs/results/protocols.md;
// the sklearn cross-check on the same .npy files is bench/reference/probe_sklearn.py.
//
// Usage: node --import tsx bench/probe-real.ts [cacheDir=.medprobe/cache] [npz=../shared/data/medmnist/pneumoniamnist.npz]
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { openMedMNIST } from '../src/data/medmnist/source.js';
import type { SplitName } from '../src/data/types.js';
import { evaluateClassification } from '../src/metrics/evaluate-classification.js';
import { runFewShot } from '../src/protocols/fewshot.js';
import { knnClassify, runKnnProtocol } from '../src/protocols/knn.js';
import { runLinearProbe } from '../src/protocols/linear/probe.js';
import { readNpy } from '../src/util/npy.js';
import type { Matrix } from '../src/util/matrix.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cacheDir = path.resolve(process.argv[2] ?? path.join(root, '.medprobe/cache'));
const npz = path.resolve(process.argv[3] ?? path.join(root, '../shared/data/medmnist/pneumoniamnist.npz'));

const ds = await openMedMNIST(npz);
const features: Partial<Record<SplitName, Matrix>> = {};
const files: Record<string, string> = {};
const featDir = path.join(cacheDir, 'features');
for (const a of await readdir(featDir)) {
  for (const b of await readdir(path.join(featDir, a))) {
    const dir = path.join(featDir, a, b);
    const m = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    if (m.datasetFingerprint !== ds.fingerprint || m.feature !== 'pooled') continue;
    const arr = await readNpy(path.join(dir, 'features.npy'));
    features[m.split as SplitName] = { rows: m.rows, cols: m.cols, data: arr.data as Float32Array };
    files[m.split] = path.relative(root, path.join(dir, 'features.npy'));
  }
}
const split = (s: SplitName) => ({ features: features[s]!, labels: ds.splits[s]!.labels });
console.log('feature files:', JSON.stringify(files));
const task = ds.task;
const fmt = (m: Record<string, number | null>) => `AUROC ${m.auroc?.toFixed(4)} ACC ${m.accuracy?.toFixed(4)}`;

let t = performance.now();
const k20 = (await knnClassify({ train: split('train'), query: features.test!, task, k: [20] })).get(20)!;
console.log(`kNN k=20 T=0.07 (train bank): test ${fmt(evaluateClassification(task, split('test').labels, k20))} [${((performance.now() - t) / 1000).toFixed(2)} s]`);

t = performance.now();
const knn = await runKnnProtocol({ dataset: ds.name, train: split('train'), val: split('val'), test: split('test'), task });
console.log(`kNN protocol: val ${JSON.stringify(knn.candidates.map((c) => [c.params.k, c.score?.toFixed(4)]))} → k=${knn.chosen.k}; test ${fmt(evaluateClassification(task, split('test').labels, knn.testScores))} [${((performance.now() - t) / 1000).toFixed(2)} s]`);

for (const epochs of [20, 100]) {
  t = performance.now();
  const lin = await runLinearProbe({ dataset: ds.name, train: split('train'), val: split('val'), test: split('test'), task, epochs, minSteps: 0, seed: 0 });
  console.log(`linear probe (8 lrs, ${epochs} epochs, refit train+val): val ${JSON.stringify(lin.candidates.map((c) => [c.params.lr, c.score?.toFixed(4)]))} → lr=${lin.chosen.lr}; test ${fmt(evaluateClassification(task, split('test').labels, lin.testScores))} [${((performance.now() - t) / 1000).toFixed(2)} s]`);
}

t = performance.now();
const fs = await runFewShot({ dataset: ds.name, train: split('train'), val: split('val'), test: split('test'), task, shots: [1, 4, 16, 64], tries: 5, seed: 0 });
for (const p of fs.points) console.log(`few-shot ${p.protocol} n=${p.shots}: AUROC ${p.mean.auroc?.toFixed(4)} ± ${p.sd.auroc?.toFixed(4)}, ACC ${p.mean.accuracy?.toFixed(4)} ± ${p.sd.accuracy?.toFixed(4)}`);
console.log(`few-shot wall ${((performance.now() - t) / 1000).toFixed(1)} s`);
