/**
 * Memory-aware batches change only how many images share a forward pass, never a feature: features
 * are per image, so the feature-cache key carries no batch size. Proved here on generated models
 * (a tiny ViT with last-4-block features, a tiny CNN), bit for bit, and end to end: a suite run with
 * the batch chosen from memory writes the same feature bytes as one with a given batch of 3.
 * Also: the ViT's memory profile (tokens, width, exposed blocks) and the plan's batch line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeTinyVitCard, writeTinyVitOnnx } from '../../src/models/fixtures/tiny-vit.js';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../../src/models/fixtures/tiny-cnn.js';
import { OnnxBackbone } from '../../src/models/onnx/backbone.js';
import { loadCard } from '../../src/models/card.js';
import { chooseBatch, vitActivationBytesPerImage } from '../../src/models/batch-memory.js';
import { createRng } from '../../src/util/random.js';
import { loadSuite } from '../../src/run/suite.js';
import { planSuite, runSuite } from '../../src/run/runner.js';
import { describePlan } from '../../src/run/plan.js';
import { readTree, writePlanFixture } from '../run/plan-fixture.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-batch-'));
test.after(() => fs.rm(dir, { recursive: true, force: true }));

async function open(kind: 'vit' | 'cnn'): Promise<OnnxBackbone> {
  const model = path.join(dir, `${kind}.onnx`);
  const card = path.join(dir, `${kind}.yaml`);
  if (kind === 'vit') {
    await writeTinyVitOnnx(model, { dim: 64, heads: 4, depth: 4, registers: 2 });
    await writeTinyVitCard(card, model, { dim: 64, heads: 4, depth: 4, registers: 2 });
  } else {
    await writeTinyCnnOnnx(model, { size: 32 });
    await writeTinyCnnCard(card, model, { size: 32 });
  }
  return OnnxBackbone.open(await loadCard(card), { cacheDir: path.join(dir, 'cache'), threads: 2 });
}

for (const kind of ['vit', 'cnn'] as const) {
  test(`${kind}: features at batch 1, 3 and 8 are bit-identical to one batch of 13`, async () => {
    const b = await open(kind);
    try {
      const per = 3 * b.inputSize ** 2;
      const n = 13;
      const rng = createRng(7);
      const x = Float32Array.from({ length: n * per }, () => rng.next() * 2 - 1);
      const features = b.features.filter((f) => ['pooled', 'cls', 'mean-patch', 'last4/cls+mean-patch'].includes(f));
      assert.ok(features.length >= (kind === 'vit' ? 3 : 1), features.join(','));
      const whole = await b.run(x, n, features);
      for (const batch of [1, 3, 8]) {
        for (let s = 0; s < n; s += batch) {
          const m = Math.min(batch, n - s);
          const part = await b.run(x.subarray(s * per, (s + m) * per), m, features);
          for (const f of features) {
            const cols = whole[f].cols;
            assert.deepEqual(part[f].data, whole[f].data.subarray(s * cols, (s + m) * cols), `${f} rows ${s}..${s + m} at batch ${batch}`);
          }
        }
      }
    } finally {
      await b.dispose();
    }
  });
}

test('memory profile: a ViT card gives tokens × width (plus exposed blocks); a CNN gives none', async () => {
  const vit = await open('vit');
  const cnn = await open('cnn');
  try {
    // 224 / 14 = 16 → 256 patches + CLS + 2 registers; D from the token output's shape.
    const p = vit.memoryProfile(['cls'])!;
    assert.equal(p.perImageBytes, vitActivationBytesPerImage({ tokens: 259, dim: 64 }));
    assert.equal(p.weightBytes, (await fs.stat(path.join(dir, 'vit.onnx'))).size);
    assert.match(p.basis, /259 tokens × 64/);
    const last4 = vit.memoryProfile(['cls', 'last4/cls'])!;
    assert.equal(last4.perImageBytes, vitActivationBytesPerImage({ tokens: 259, dim: 64, exposedBlocks: 4 }));
    assert.equal(vit.memoryProfile(['block:-1'])!.perImageBytes, last4.perImageBytes, 'the editor exposes at least 4 blocks');
    assert.equal(cnn.memoryProfile(['pooled']), undefined);
    const budget = { bytes: 2 ** 30, source: 'test' };
    assert.deepEqual(chooseBatch(undefined, { budget }), { batchSize: 32, source: 'default', budgetBytes: 2 ** 30, overBudget: false });
    assert.equal(chooseBatch(undefined, { budget, fallback: 16 }).batchSize, 16);
    assert.equal(chooseBatch(undefined, { budget, given: 5 }).source, 'given');
    // A budget that fits 3 images beside the weights → batch 3.
    const tight = chooseBatch(p, { budget: { bytes: p.weightBytes + 3.5 * p.perImageBytes, source: 'test' } });
    assert.deepEqual([tight.batchSize, tight.source, tight.overBudget], [3, 'memory', false]);
  } finally {
    await vit.dispose();
    await cnn.dispose();
  }
});

test('a suite run with the batch chosen from memory writes the same feature bytes as batch 3; the plan and provenance say which', async () => {
  await writePlanFixture(dir, { counts: [20, 8, 10], batchSize: 3 });
  const yaml = (await fs.readFile(path.join(dir, 'suite.yaml'), 'utf8')).replace('card: tiny.yaml', 'card: vit.yaml');
  await fs.writeFile(path.join(dir, 'given.yaml'), yaml);
  await fs.writeFile(path.join(dir, 'memory.yaml'), yaml.replace(/^batchSize: 3\n/m, ''));
  const quiet = (): void => {};
  const saved = process.env.MEDPROBE_MEMORY_BUDGET_MB;
  try {
    // A budget that fits only 5 images of the tiny ViT beside its weights (the linear probe reads last-4 features: 4 blocks exposed).
    const vit = await open('vit');
    const p = vit.memoryProfile(['cls', 'last4/cls'])!;
    await vit.dispose();
    process.env.MEDPROBE_MEMORY_BUDGET_MB = String((p.weightBytes + 5.5 * p.perImageBytes) / 2 ** 20);
    const given = await loadSuite(path.join(dir, 'given.yaml'));
    const memory = await loadSuite(path.join(dir, 'memory.yaml'));
    const plan = await planSuite({ suite: memory, cacheDir: path.join(dir, 'c-mem'), resultsDir: path.join(dir, 'r-mem') });
    assert.deepEqual([plan.models[0].batch.batchSize, plan.models[0].batch.source], [5, 'memory']);
    assert.ok(plan.extract.every((u) => u.batchSize === 5));
    assert.match(describePlan(plan).join('\n'), /batch 5 \(from memory\) · expected peak [\d.]+ MB \[ViT 259 tokens × 64, 4 blocks exposed\] of the [\d.]+ MB budget \(\$MEDPROBE_MEMORY_BUDGET_MB\)/);
    const givenPlan = await planSuite({ suite: given, cacheDir: path.join(dir, 'c-given'), resultsDir: path.join(dir, 'r-given') });
    assert.equal(givenPlan.models[0].batch.source, 'given');
    assert.match(describePlan(givenPlan).join('\n'), /batch 3 \(given\)/);

    const a = await runSuite({ suite: memory, cacheDir: path.join(dir, 'c-mem'), resultsDir: path.join(dir, 'r-mem'), log: quiet });
    const b = await runSuite({ suite: given, cacheDir: path.join(dir, 'c-given'), resultsDir: path.join(dir, 'r-given'), log: quiet });
    const npy = (rel: string) => rel.endsWith('.npy');
    const ta = await readTree(path.join(dir, 'c-mem', 'features'), npy);
    const tb = await readTree(path.join(dir, 'c-given', 'features'), npy);
    assert.deepEqual([...ta.keys()], [...tb.keys()], 'same feature-cache keys: the batch is not part of them');
    assert.ok(ta.size > 0);
    for (const [k, bytes] of ta) assert.ok(bytes.equals(tb.get(k)!), `${k} differs between batch 5 and batch 3`);
    assert.deepEqual(a.results.map((r) => r.result.metrics), b.results.map((r) => r.result.metrics));
    const batch = a.results[0].result.provenance.batch!;
    assert.deepEqual([batch.size, batch.source, batch.overBudget], [5, 'memory', false]);
    assert.equal(b.results[0].result.provenance.batch!.source, 'given');
  } finally {
    if (saved === undefined) delete process.env.MEDPROBE_MEMORY_BUDGET_MB;
    else process.env.MEDPROBE_MEMORY_BUDGET_MB = saved;
  }
});
