import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLinearProbe } from '../../src/protocols/linear/index.js';
import { evaluateClassification } from '../../src/metrics/evaluate-classification.js';
import { MedprobeError } from '../../src/util/errors.js';
import { matrix, type Matrix } from '../../src/util/matrix.js';
import type { TaskInfo } from '../../src/data/types.js';
import { synth } from './synth.js';

const three: TaskInfo = { type: 'multi-class', labels: ['a', 'b', 'c'] };

/** Two Gaussian-free blobs far apart: class c has +5 on feature c, so any sane probe is perfect. */
function separable(n: number, c: number, offset: number): { features: Matrix; labels: Int32Array } {
  const s = synth(n, 6, c, 0, offset);
  for (let i = 0; i < n; i++) s.features.data[i * 6 + s.labels[i]] += 5;
  return s;
}

test('separable data: test accuracy 1, every head scored, winner refit on train+val', async () => {
  const out = await runLinearProbe({ train: separable(90, 3, 0), val: separable(30, 3, 500), test: separable(60, 3, 900), task: three, epochs: 5, seed: 1 });
  assert.equal(out.candidates.length, 8 * 6, 'default grid: 8 lrs × 6 weight decays');
  // L2 strength is chosen on val like the lr (sklearn's C = 1/(wd·n); test/engine/heads.test.ts checks that equivalence).
  assert.deepEqual([...new Set(out.candidates.map((c) => c.params.weightDecay))], [0, 1e-4, 1e-3, 1e-2, 1e-1, 1]);
  assert.equal(out.scoreWidth, 3);
  const m = evaluateClassification(three, separable(60, 3, 900).labels, out.testScores);
  assert.equal(m.accuracy, 1);
  assert.equal(out.config.refit, 'train+val');
  assert.ok(out.candidates.every((c) => typeof c.score === 'number'));
  // Rows of softmax scores sum to 1.
  for (let i = 0; i < 60; i++) assert.ok(Math.abs(out.testScores[i * 3] + out.testScores[i * 3 + 1] + out.testScores[i * 3 + 2] - 1) < 1e-5);
});

test('small datasets train at least minSteps steps: epochs rise, the result says so, and the refit runs as many epochs', async () => {
  // 90 train rows at batch 32 = 3 steps per epoch: 5 epochs are 15 steps, the floor of 100 makes it ceil(100 / 3) = 34 epochs.
  const steps = (minSteps?: number) => {
    const totals: Record<string, number> = {};
    const run = runLinearProbe({ train: separable(90, 3, 0), val: separable(30, 3, 500), test: separable(30, 3, 900), task: three, grid: { lr: [0.1], weightDecay: [0] }, epochs: 5, batchSize: 32, minSteps, onProgress: (p, _d, t) => (totals[p] = t) });
    return run.then((out) => ({ out, totals }));
  };
  const floor = await steps(100);
  assert.equal(floor.out.config.epochs, 34);
  assert.equal(floor.out.config.requestedEpochs, 5);
  assert.deepEqual(floor.totals, { grid: 34 * 3, refit: 34 * 4 }, 'refit: 120 rows = 4 steps per epoch, same epochs');
  const exact = await steps(0);
  assert.equal(exact.out.config.epochs, 5);
  assert.equal(exact.out.config.requestedEpochs, undefined, 'nothing to report when the floor does not bite');
  assert.deepEqual(exact.totals, { grid: 15, refit: 20 });
  // The default floor (5000 steps) is the shipped one.
  assert.equal((await steps()).out.config.epochs, Math.ceil(5000 / 3));
  await assert.rejects(steps(-1), /minSteps must be a non-negative integer/);
});

test('lr chosen by training objective: per feature set × weight decay the lowest-loss lr, val picks among those; the study rule lets every head compete', async () => {
  const split = (n: number, off: number) => {
    const s = synth(n, 8, 2, 1.5, off);
    return { features: { a: s.features, b: synth(n, 5, 2, 1.5, off + 31).features }, labels: s.labels };
  };
  const task: TaskInfo = { type: 'binary', labels: ['n', 'p'] };
  const base = { train: split(120, 0), val: split(40, 400), test: split(40, 800), task, grid: { lr: [0.5, 0.05, 1e-3, 1e-5], weightDecay: [0, 0.1, 1] }, epochs: 3, minSteps: 0, batchSize: 16, seed: 3 };
  const byLoss = await runLinearProbe(base);
  assert.equal(byLoss.config.lrSelection, 'train-loss');
  assert.ok(byLoss.candidates.every((c) => Number.isFinite(c.trainLoss)));
  const group = (c: { params: Record<string, unknown> }) => `${c.params.features}/${c.params.weightDecay}`;
  const lowest = new Map<string, (typeof byLoss.candidates)[number]>();
  for (const c of byLoss.candidates) if (!lowest.has(group(c)) || c.trainLoss! < lowest.get(group(c))!.trainLoss!) lowest.set(group(c), c);
  assert.equal(lowest.size, 2 * 3);
  const chosen = byLoss.candidates.find((c) => JSON.stringify(c.params) === JSON.stringify(byLoss.chosen))!;
  assert.equal(lowest.get(group(chosen)), chosen, 'the chosen head has the lowest objective of its feature set and weight decay');
  assert.equal(chosen.score, Math.max(...[...lowest.values()].map((c) => c.score!)), 'and the best val score among those');
  assert.notEqual(byLoss.chosen.lr, 1e-5, 'a barely trained head never has the lowest objective');

  const study = await runLinearProbe({ ...base, lrSelection: 'val' });
  assert.ok(study.candidates.every((c) => c.trainLoss === undefined));
  assert.equal(study.candidates.find((c) => JSON.stringify(c.params) === JSON.stringify(study.chosen))!.score, Math.max(...study.candidates.map((c) => c.score!)));
  assert.deepEqual(study.candidates.map((c) => c.score), byLoss.candidates.map((c) => c.score), 'same heads, same val scores: only the rule differs');
  await assert.rejects(runLinearProbe({ ...base, lrSelection: 'best' as never }), /lrSelection must be 'train-loss' or 'val'/);
});

test('named feature sets: one head per (set, lr), selection across sets, deterministic under the seed', async () => {
  const good = (n: number, off: number) => separable(n, 2, off);
  // 'last1/cls' carries the signal; 'last4/cls' is pure noise-like structure without it.
  const noise = (n: number, off: number) => synth(n, 10, 2, 0, off + 77).features; // another width, as last4 vs last1
  const split = (n: number, off: number) => {
    const g = good(n, off);
    return { features: { 'last1/cls': g.features, 'last4/cls': noise(n, off) }, labels: g.labels };
  };
  const task: TaskInfo = { type: 'binary', labels: ['n', 'p'] };
  const opts = { train: split(80, 0), val: split(40, 400), test: split(40, 800), task, grid: { lr: [0.1, 1e-3], weightDecay: [0, 1e-4] }, epochs: 3, batchSize: 16, seed: 5 };
  const a = await runLinearProbe(opts);
  assert.equal(a.candidates.length, 2 * 2 * 2);
  assert.equal(a.chosen.features, 'last1/cls');
  assert.equal(a.scoreWidth, 1);
  const b = await runLinearProbe(opts);
  assert.deepEqual(a.testScores, b.testScores, 'same seed → same scores');
  assert.deepEqual(a.candidates, b.candidates);
  const c = await runLinearProbe({ ...opts, seed: 6 });
  assert.notDeepEqual(a.testScores, c.testScores, 'another seed shuffles differently');
});

test('multi-label: one sigmoid per label', async () => {
  const task: TaskInfo = { type: 'multi-label', labels: ['x', 'y'] };
  const mk = (n: number, off: number) => {
    const s = synth(n, 4, 4, 0, off);
    const labels = new Int32Array(n * 2);
    for (let i = 0; i < n; i++) {
      labels[i * 2] = s.labels[i] & 1;
      labels[i * 2 + 1] = (s.labels[i] >> 1) & 1;
      s.features.data[i * 4] += labels[i * 2] ? 4 : -4;
      s.features.data[i * 4 + 1] += labels[i * 2 + 1] ? 4 : -4;
    }
    return { features: s.features, labels };
  };
  const testSplit = mk(40, 900);
  const out = await runLinearProbe({ train: mk(80, 0), val: mk(40, 400), test: testSplit, task, grid: { lr: [0.05] }, epochs: 5 });
  assert.equal(out.scoreWidth, 2);
  const m = evaluateClassification(task, testSplit.labels, out.testScores);
  assert.equal(m.auroc, 1);
});

test('a diverging head scores null without failing the grid', async () => {
  // lr near float32's maximum overflows the weights to ±Inf, so the logits become NaN.
  const out = await runLinearProbe({ train: synth(60, 4, 3, 0.5, 0), val: synth(30, 4, 3, 0.5, 500), test: synth(30, 4, 3, 0.5, 900), task: three, grid: { lr: [3e38, 0.1], weightDecay: [0] }, epochs: 5, batchSize: 16 });
  assert.deepEqual(out.candidates[0], { params: { features: 'features', lr: 3e38, weightDecay: 0, diverged: true }, score: null });
  assert.equal(out.chosen.lr, 0.1);
  assert.equal(out.config.divergedHeads, 1);
});

test('bad input: one-class label column, NaN features, mismatched sets', async () => {
  const ok = synth(30, 4, 3, 1, 0);
  await assert.rejects(
    runLinearProbe({ dataset: 'toy', train: { features: ok.features, labels: new Int32Array(30).fill(2) }, val: ok, test: ok, task: three }),
    (e: unknown) => e instanceof MedprobeError && /toy\/train: only one class present \(c, 30 samples\)/.test(e.message),
  );
  const bad = new Float32Array(ok.features.data);
  bad[5 * 4] = NaN;
  await assert.rejects(
    runLinearProbe({ dataset: 'toy', train: ok, val: ok, test: { features: matrix(30, 4, bad), labels: ok.labels, ids: Array.from({ length: 30 }, (_, i) => `s${i}`) }, task: three }),
    (e: unknown) => e instanceof MedprobeError && /toy\/test: 1 of 30 samples have NaN\/Inf features \(features\): s5$/.test(e.message),
  );
  await assert.rejects(
    runLinearProbe({ train: { features: { a: ok.features }, labels: ok.labels }, val: { features: { b: ok.features }, labels: ok.labels }, test: ok, task: three }),
    /feature set 'a' is missing/,
  );
  await assert.rejects(runLinearProbe({ train: ok, val: ok, test: ok, task: three, grid: { lr: [-1] } }), /lr -1/);
});
