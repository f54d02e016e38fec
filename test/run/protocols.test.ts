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
        protocols: { linear: { lr: [0.1, 0.01], epochs: 3 }, mlknn: {}, fewshot: { shots: [1, 2], tries: 2, protocols: ['knn'], k: [1] } },
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
    assert.equal(lin.selection.candidates.length, 4 * 2);
    assert.equal(lin.predictions.ids.length, 12);

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
