import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SplitSource, TaskInfo } from '../../src/data/types.js';
import { writeTinyVitOnnx, tinyVitCard } from '../../src/models/fixtures/tiny-vit.js';
import { PROTOCOLS } from '../../src/protocols/registry.js';
import { fineTuneClassifier, type FineTuneConfig } from '../../src/protocols/finetune/run.js';
import { createRng } from '../../src/util/random.js';
import { medprobeError, withTempDir } from '../helpers/assertions.js';

const SIZE = 16;

/** Images whose brightness gives the class, as an in-memory split. */
function split(n: number, seed: number): SplitSource {
  const rng = createRng(seed);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const imgs = Array.from(labels, (l) => Float32Array.from({ length: 3 * SIZE * SIZE }, () => 0.5 * rng.normal() + (l ? 0.7 : -0.7)));
  return { size: n, labels, ids: imgs.map((_, i) => `s${i}`), get: async (i) => ({ id: `s${i}`, label: labels.subarray(i, i + 1), image: imgs[i] as never }) };
}
const prepare = (images: readonly unknown[]) => {
  const data = new Float32Array(images.length * 3 * SIZE * SIZE);
  images.forEach((im, i) => data.set(im as Float32Array, i * 3 * SIZE * SIZE));
  return { data, counts: images.map(() => 1) };
};

const task: TaskInfo = { type: 'binary', labels: ['a', 'b'] };
const config: FineTuneConfig = { lr: [1e-2, 1e-7], headLr: 5e-2, epochs: 2, batchSize: 4, weightDecay: 0.01, clipNorm: 1, warmupFraction: 0, maxTrainImages: 12, maxValImages: null };

test('lora, bitfit and finetune are registered protocols with the study defaults', () => {
  assert.deepEqual(PROTOCOLS.finetune.defaults.lr, [5e-4, 1e-4, 5e-5, 1e-5, 5e-6, 1e-6, 1e-7]);
  assert.equal(PROTOCOLS.lora.defaults.rank, 48);
  assert.equal(PROTOCOLS.lora.defaults.alpha, 16);
  assert.equal(PROTOCOLS.lora.defaults.dropout, 0.1);
  assert.deepEqual(PROTOCOLS.lora.defaults.lr, [2e-4]);
  assert.equal(PROTOCOLS.lora.defaults.headLr, 5e-3);
  for (const p of [PROTOCOLS.lora, PROTOCOLS.bitfit, PROTOCOLS.finetune]) assert.equal(p.inputs, 'images');
});

test('fine-tuning selects the lr on val, scores test, counts parameters, and resumes from its checkpoints', async () => {
  await withTempDir('ft-proto', async (dir) => {
    const file = path.join(dir, 'vit.onnx');
    const opts = { patchSize: 8, dim: 16, depth: 2, heads: 2, size: SIZE, dynamicHW: true, seed: 4 };
    await writeTinyVitOnnx(file, opts);
    const run = {
      modelBytes: await readFile(file), card: tinyVitCard('vit.onnx', opts), inputSize: SIZE, prepare: prepare as never, task, method: { kind: 'bitfit' } as const,
      config, seed: 3, selectionMetric: 'auroc', checkpointDir: path.join(dir, 'ck'),
      splits: { train: split(16, 1), val: split(8, 2), test: split(10, 3) },
    };
    const a = await fineTuneClassifier(run);
    assert.equal(a.candidates.length, 2);
    assert.deepEqual(a.chosen, { lr: 1e-2 }, `val scores ${JSON.stringify(a.candidates)}`);
    assert.equal(a.testScores.length, 10);
    assert.ok(a.testScores.every((s) => s >= 0 && s <= 1));
    const counts = a.extra.parameters as { trainable: number; total: number };
    assert.ok(counts.trainable > 0 && counts.trainable < counts.total);
    assert.deepEqual((await readdir(run.checkpointDir)).sort(), ['lr-1e-7.ckpt', 'lr-0.01.ckpt'].sort());
    // A rerun finds every epoch checkpointed and reproduces the same scores without training.
    const logs: string[] = [];
    const b = await fineTuneClassifier({ ...run, log: (l) => logs.push(l) });
    assert.ok(logs.some((l) => /resumed after epoch 2/.test(l)));
    assert.deepEqual(b.testScores, a.testScores);
    assert.deepEqual(b.extra.perLr, a.extra.perLr, 'a resumed lr reports the loss it stopped at');
    assert.deepEqual(Object.keys(a.wallSeconds), ['lr 0.01', 'lr 1e-7']);
  });
});

test('a model the autodiff cannot train at this size, and too few images for one batch, stop with a line naming the fix', async () => {
  await withTempDir('ft-proto', async (dir) => {
    const file = path.join(dir, 'vit.onnx');
    const opts = { patchSize: 8, dim: 16, depth: 1, heads: 2, size: SIZE, dynamicHW: false, seed: 4 };
    await writeTinyVitOnnx(file, opts);
    const run = {
      modelBytes: await readFile(file), modelPath: file, card: tinyVitCard('vit.onnx', opts), inputSize: 24, prepare: prepare as never, task, method: { kind: 'bitfit' } as const,
      config, seed: 3, selectionMetric: 'auroc', splits: { train: split(16, 1), val: split(8, 2), test: split(10, 3) },
    };
    // Exported at a fixed 16 px, asked for 24: the autodiff's error names the model file (it sees only bytes).
    await assert.rejects(fineTuneClassifier(run), medprobeError(/vit\.onnx: input 'pixel_values' is \[batch, 3, 16, 16\]; \[1, 3, 24, 24\] does not fit it/, [file]));
    await assert.rejects(fineTuneClassifier({ ...run, inputSize: SIZE, config: { ...config, batchSize: 32 } }), medprobeError(/needs at least one full batch of 32 training images, has 12/));
  });
});
