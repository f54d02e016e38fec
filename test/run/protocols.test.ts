/**
 * The classification protocols as a suite runs them: the linear grid over the study's ViT
 * feature sets in one pass, ML-kNN skipped (with its reason) on a binary task, and a few-shot
 * curve stored as a result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeNpz, medmnistArrays } from '../data/npz-fixture.js';
import { writeTinyVitCard, writeTinyVitOnnx } from '../../src/models/fixtures/tiny-vit.js';
import { parseSuite } from '../../src/run/suite.js';
import { planSuite, runSuite } from '../../src/run/runner.js';

test('linear grid trains heads on {last1, last4} × {CLS, CLS+mean}; mlknn is skipped on binary; few-shot writes a curve', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-protocols-'));
  try {
    await writeNpz(path.join(dir, 'pneumoniamnist.npz'), medmnistArrays({ counts: [24, 12, 12], imageShape: [28, 28] }));
    await writeTinyVitOnnx(path.join(dir, 'vit.onnx'), { size: 28, patchSize: 14, dim: 16, depth: 4, heads: 2 });
    await writeTinyVitCard(path.join(dir, 'vit.json'), path.join(dir, 'vit.onnx'), { size: 28, patchSize: 14, dim: 16, depth: 4, heads: 2 });
    const suite = parseSuite(
      {
        seed: 2,
        cacheDir: 'cache',
        resultsDir: 'results',
        bootstrap: { resamples: 50 },
        models: [{ card: 'vit.json' }],
        datasets: [{ source: 'medmnist', name: 'pneumoniamnist', file: 'pneumoniamnist.npz' }],
        protocols: { linear: { lr: [0.1, 0.01], epochs: 3, seeds: [2, 5] }, mlknn: {}, fewshot: { shots: [1, 2], tries: 2, protocols: ['knn'], k: [1] } },
      },
      'inline',
    );
    const loaded = { suite, file: path.join(dir, 'suite.yaml'), baseDir: dir };
    const plan = await planSuite({ suite: loaded });
    assert.deepEqual(plan.skipped.map((s) => s.protocol), ['mlknn']);
    assert.match(plan.skipped[0].reason, /multi-label/);

    const summary = await runSuite({ suite: loaded, log: () => {} });
    const byName = Object.fromEntries(summary.results.map((r) => [r.result.protocol.name, r.result]));
    assert.deepEqual(Object.keys(byName).sort(), ['fewshot', 'linear']);

    const lin = byName.linear;
    const sets = new Set(lin.selection.candidates.map((c) => c.params.features));
    assert.deepEqual([...sets].sort(), ['last1/cls', 'last1/cls+mean', 'last4/cls', 'last4/cls+mean']);
    assert.equal(lin.selection.candidates.length, 4 * 2 * 6, '4 feature sets × 2 lrs × the 6 default weight decays');
    assert.equal(lin.predictions.ids.length, 12);
    // two seeds: per-seed test metrics and their mean ± sd; the headline is the first seed's
    const seeds = lin.extra!.seeds as { runs: { seed: number; metrics: Record<string, number | null> }[]; meanSd: Record<string, { mean: number; sd: number; n: number }> };
    assert.deepEqual(seeds.runs.map((r) => r.seed), [2, 5]);
    assert.equal(seeds.meanSd.auroc.n, 2);
    assert.equal(seeds.runs[0].metrics.auroc, lin.metrics.auroc);
    const [a, b] = seeds.runs.map((r) => r.metrics.accuracy as number);
    assert.ok(Math.abs(seeds.meanSd.accuracy.mean - (a + b) / 2) < 1e-12);
    assert.ok(Math.abs(seeds.meanSd.accuracy.sd - Math.abs(a - b) / Math.SQRT2) < 1e-12);

    const few = byName.fewshot;
    const curve = few.extra!.fewShot as { points: { shots: number; tries: unknown[] }[] };
    assert.deepEqual(curve.points.map((p) => p.shots), [1, 2]);
    assert.ok(curve.points.every((p) => p.tries.length === 2));
    assert.equal(few.predictions.ids.length, 0);
    assert.ok('auroc' in few.metrics);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('3D volumes: 2.5D concatenates the three orthogonal central slices; max pools every slice', async () => {
  const { writeTinyCnnCard, writeTinyCnnOnnx } = await import('../../src/models/fixtures/tiny-cnn.js');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-3d-'));
  try {
    await writeNpz(path.join(dir, 'adrenalmnist3d.npz'), medmnistArrays({ counts: [16, 8, 8], imageShape: [28, 28, 28] }));
    await writeTinyCnnOnnx(path.join(dir, 'cnn.onnx'), { size: 16 });
    await writeTinyCnnCard(path.join(dir, 'cnn.json'), path.join(dir, 'cnn.onnx'), { size: 16 });
    const run = async (sliceAggregation: string) => {
      const suite = parseSuite(
        {
          cacheDir: 'cache',
          resultsDir: `results-${sliceAggregation}`,
          bootstrap: { resamples: 20 },
          models: [{ card: 'cnn.json' }],
          datasets: [{ source: 'medmnist', name: 'adrenalmnist3d', file: 'adrenalmnist3d.npz', sliceAggregation }],
          protocols: { knn: { k: [3] } },
        },
        'inline',
      );
      const loaded = { suite, file: path.join(dir, 'suite.yaml'), baseDir: dir };
      const plan = await planSuite({ suite: loaded });
      const summary = await runSuite({ suite: loaded, log: () => {} });
      return { plan, result: summary.results[0].result };
    };
    const flat = await run('2.5d');
    // 3 model inputs per volume (not 8 slices), and the volume embedding is 3 × 16-d
    assert.deepEqual(flat.plan.extract.map((u) => u.images / (u.shard.end - u.shard.start)), [3, 3, 3]);
    assert.equal(flat.result.dataset.preprocessing.sliceAxis, '2.5d');
    const max = await run('max');
    assert.deepEqual(max.plan.extract.map((u) => u.images / (u.shard.end - u.shard.start)), [28, 28, 28]);
    assert.notEqual(flat.result.provenance.featureCacheKeys.train, max.result.provenance.featureCacheKeys.train);
    assert.equal(flat.result.predictions.ids.length, 8);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
