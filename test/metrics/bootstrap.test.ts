import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskInfo } from '../../src/data/types.js';
import { binaryAuroc, evaluateClassification } from '../../src/metrics/classification.js';
import { bootstrapCI, bootstrapClassification, classificationMetric, quantileSorted } from '../../src/metrics/bootstrap.js';
import { MedprobeError } from '../../src/util/errors.js';

const close = (actual: number | undefined, expected: number, tol = 1e-12) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

const binaryTask: TaskInfo = { type: 'binary', labels: ['neg', 'pos'] };

// Formula data (n = 40), mirrored in the Python reference below:
//   i = arange(40); s = float32(((23i + 3) % 17) / 16)
//   balanced: y = ((5i + i//4) % 3 == 0)   (20 positives)
//   rare:     y = (i % 20 == 7)             (2 positives)
const n = 40;
const scores = Float32Array.from({ length: n }, (_, i) => ((23 * i + 3) % 17) / 16);
const balanced = Int32Array.from({ length: n }, (_, i) => ((5 * i + Math.floor(i / 4)) % 3 === 0 ? 1 : 0));
const rare = Int32Array.from({ length: n }, (_, i) => (i % 20 === 7 ? 1 : 0));
const auroc = (l: Int32Array, s: Float32Array) => binaryAuroc(l, s);
const acc = (l: Int32Array, s: Float32Array) => evaluateClassification(binaryTask, l, s).accuracy;

test('quantiles interpolate linearly like numpy.percentile', () => {
  // numpy.percentile(1..10, [2.5, 97.5]) = [1.225, 9.775]: position 0.025·9 = 0.225 → 1 + 0.225.
  const v = Float64Array.from({ length: 10 }, (_, i) => i + 1);
  close(quantileSorted(v, 0.025), 1.225);
  close(quantileSorted(v, 0.975), 9.775);
  close(quantileSorted([3], 0.5), 3);
});

// The Python reference re-implements util/random.ts (mulberry32 + deriveSeed(seed, 'bootstrap'))
// and the draw order (strata by ascending class, rng.int(m) per draw within each stratum), then
// scores each replicate with sklearn roc_auc_score / accuracy_score and takes
// numpy.percentile(values, [2.5, 97.5]). Computed once with scikit-learn 1.2.1, numpy 2.4.
test('bootstrap CI equals an independent sklearn/numpy replay of the same draws (stratified)', () => {
  const a = bootstrapCI(auroc, balanced, scores, { resamples: 200, seed: 42, stratified: true })!;
  // sklearn replay: [0.2675, 0.6512812500000001], 200 used, 0 skipped
  close(a.low, 0.2675, 1e-9);
  close(a.high, 0.6512812500000001, 1e-9);
  assert.equal(a.resamples, 200);
  assert.equal(a.skipped, 0);
  assert.equal(a.level, 0.95);
  const b = bootstrapCI(acc, balanced, scores, { resamples: 200, seed: 42, stratified: true })!;
  // sklearn replay: [0.275, 0.625]
  close(b.low, 0.275, 1e-9);
  close(b.high, 0.625, 1e-9);
});

test('bootstrap CI equals the sklearn replay unstratified; undefined replicates are skipped and counted', () => {
  const a = bootstrapCI(auroc, balanced, scores, { resamples: 200, seed: 42, stratified: false })!;
  // sklearn replay: [0.28622833191247515, 0.6317982413650572]
  close(a.low, 0.28622833191247515, 1e-9);
  close(a.high, 0.6317982413650572, 1e-9);
  // 2 positives in 40: a replicate misses both with probability (38/40)^40 ≈ 13%.
  const r = bootstrapCI(auroc, rare, scores, { resamples: 300, seed: 5, stratified: false })!;
  // sklearn replay: [0.5904520917678813, 0.8461538461538461], 253 used, 47 skipped
  close(r.low, 0.5904520917678813, 1e-9);
  close(r.high, 0.8461538461538461, 1e-9);
  assert.equal(r.resamples, 253);
  assert.equal(r.skipped, 47);
  // Stratified keeps both positives' class in every replicate: nothing skipped.
  const s = bootstrapCI(auroc, rare, scores, { resamples: 300, seed: 5 })!;
  // sklearn replay: [0.5657894736842105, 0.8490131578947365], 300 used
  close(s.low, 0.5657894736842105, 1e-9);
  close(s.high, 0.8490131578947365, 1e-9);
  assert.equal(s.skipped, 0);
});

test('same seed gives the identical CI; another seed a different one', () => {
  const opts = { resamples: 100, seed: 9 };
  assert.deepEqual(bootstrapCI(auroc, balanced, scores, opts), bootstrapCI(auroc, balanced, scores, opts));
  assert.notDeepEqual(bootstrapCI(auroc, balanced, scores, opts), bootstrapCI(auroc, balanced, scores, { ...opts, seed: 10 }));
});

test('the count-based fast path gives exactly the CI of the materialising path', () => {
  for (const key of ['auroc', 'accuracy', 'macroF1', 'mcc', 'balancedAccuracy']) {
    const slow = bootstrapCI((l, s) => evaluateClassification(binaryTask, l, s)[key], balanced, scores, { resamples: 150, seed: 1 });
    const fast = bootstrapCI(classificationMetric(binaryTask, key), balanced, scores, { resamples: 150, seed: 1 });
    assert.ok(slow && fast);
    close(fast.low, slow.low, 1e-12);
    close(fast.high, slow.high, 1e-12);
  }
  const all = bootstrapClassification(binaryTask, balanced, scores, { resamples: 150, seed: 1 });
  const one = bootstrapCI(classificationMetric(binaryTask, 'auroc'), balanced, scores, { resamples: 150, seed: 1 })!;
  assert.deepEqual(all.auroc, one);
  assert.deepEqual(Object.keys(all).sort(), ['accuracy', 'auroc', 'balancedAccuracy', 'macroF1', 'mcc']);
});

test('multi-class and multi-label rows are resampled whole', () => {
  const mc: TaskInfo = { type: 'multi-class', labels: ['a', 'b', 'c'] };
  const labels = Int32Array.from({ length: 30 }, (_, i) => i % 3);
  const s = Float32Array.from({ length: 90 }, (_, k) => ((k * 7) % 11) / 10 + (k % 3 === Math.floor(k / 3) % 3 ? 0.3 : 0));
  const slow = bootstrapCI((l, sc) => evaluateClassification(mc, l, sc).auroc, labels, s, { resamples: 50, seed: 3, scoreWidth: 3 })!;
  const fast = bootstrapClassification(mc, labels, s, { resamples: 50, seed: 3 });
  close(fast.auroc.low, slow.low, 1e-12);
  close(fast.auroc.high, slow.high, 1e-12);
  assert.ok(fast['auroc/b']);

  const ml: TaskInfo = { type: 'multi-label', labels: ['x', 'y'] };
  const yl = Int32Array.from({ length: 40 }, (_, k) => ((k * 5 + (k >> 2)) % 3 === 0 ? 1 : 0));
  const sl = Float32Array.from({ length: 40 }, (_, k) => ((k * 13) % 7) / 6);
  const slowMl = bootstrapCI((l, sc) => evaluateClassification(ml, l, sc).macroF1, yl, sl, { resamples: 50, seed: 3, labelWidth: 2, stratified: false })!;
  const fastMl = bootstrapClassification(ml, yl, sl, { resamples: 50, seed: 3, stratified: false });
  close(fastMl.macroF1.low, slowMl.low, 1e-12);
  close(fastMl.macroF1.high, slowMl.high, 1e-12);
  // Multi-label rows have no single class to stratify by.
  assert.throws(() => bootstrapClassification(ml, yl, sl, { resamples: 5, seed: 3, stratified: true }), MedprobeError);
});

test('a CI that can never be defined is null; bad options are MedprobeErrors', () => {
  assert.equal(bootstrapCI(auroc, new Int32Array(10), scores.subarray(0, 10), { resamples: 20, seed: 1 }), null);
  assert.throws(() => bootstrapCI(auroc, balanced, scores, { resamples: 0, seed: 1 }), MedprobeError);
  assert.throws(() => bootstrapCI(auroc, balanced, scores, { level: 95, seed: 1 }), MedprobeError);
  assert.throws(() => bootstrapCI(auroc, balanced, scores.subarray(0, 39), { seed: 1 }), MedprobeError);
});

test('a 90% interval sits inside the 95% one drawn from the same replicates', () => {
  const w95 = bootstrapCI(auroc, balanced, scores, { resamples: 300, seed: 2 })!;
  const w90 = bootstrapCI(auroc, balanced, scores, { resamples: 300, seed: 2, level: 0.9 })!;
  assert.ok(w90.low >= w95.low && w90.high <= w95.high);
  assert.ok(w95.low < 0.45 && 0.45 < w95.high, 'point estimate 0.45 inside its CI');
});
