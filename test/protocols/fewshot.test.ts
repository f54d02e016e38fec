import { test } from 'node:test';
import assert from 'node:assert/strict';
import { multiLabelSampler, patientAwareSampler, runFewShot } from '../../src/protocols/fewshot.js';
import { matrix } from '../../src/util/matrix.js';
import { MedprobeError } from '../../src/util/errors.js';
import type { TaskInfo } from '../../src/data/types.js';
import { synth } from './synth.js';

const three: TaskInfo = { type: 'multi-class', labels: ['a', 'b', 'c'] };
function easy(n: number, offset: number) {
  const s = synth(n, 6, 3, 0, offset);
  for (let i = 0; i < n; i++) s.features.data[i * 6 + s.labels[i]] += 6;
  return s;
}

test('default sampler: n per class, one image per patient, reproducible under the seed', () => {
  const s = synth(40, 2, 3, 0, 0);
  // Rows 2k and 2k+1 share a patient only when they share the class too (patients are per class here).
  const patientIds = Array.from({ length: 40 }, (_, i) => `p${s.labels[i]}-${Math.floor(i / 6)}`);
  const train = { ...s, patientIds };
  const a = patientAwareSampler(train, 2, 9);
  assert.equal(a.length, 6);
  for (let c = 0; c < 3; c++) assert.equal(Array.from(a).filter((i) => s.labels[i] === c).length, 2);
  assert.equal(new Set(Array.from(a, (i) => patientIds[i])).size, 6, 'never two images of one patient');
  assert.deepEqual(patientAwareSampler(train, 2, 9), a);
  const images = patientAwareSampler(s, 4, 9);
  assert.equal(new Set(images).size, 12);
});

test('curve: mean ± sd per n over tries, n above the smallest class skipped with a reason', async () => {
  const train = easy(60, 0); // 20 per class
  const curve = await runFewShot({ dataset: 'toy', train, val: easy(30, 300), test: easy(30, 600), task: three, shots: [1, 4, 25], tries: 3, seed: 2, linear: { lrGrid: [0.1, 0.01], epochs: 30 } });
  assert.deepEqual(curve.skipped.map((s) => s.shots), [25]);
  assert.match(curve.skipped[0].reason, /toy\/train: class 'a' has 20 samples, fewer than n=25/);
  assert.deepEqual(curve.points.map((p) => `${p.protocol}@${p.shots}`), ['knn@1', 'linear@1', 'knn@4', 'linear@4']);
  for (const p of curve.points) {
    assert.equal(p.tries.length, 3);
    assert.equal(p.tries[0].trainSize, p.shots * 3);
    const acc = p.tries.map((t) => t.metrics.accuracy as number);
    const mean = acc.reduce((a, b) => a + b) / 3;
    const sd = Math.sqrt(acc.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
    assert.ok(Math.abs((p.mean.accuracy as number) - mean) < 1e-12 && Math.abs((p.sd.accuracy as number) - sd) < 1e-12);
    // One shot per class leaves the linear probe's standardisation statistics from 3 rows, so
    // only kNN is expected to be perfect there; by 4 shots both are.
    if (p.protocol === 'knn' || p.shots >= 4) assert.ok((p.mean.accuracy as number) > 0.9, `${p.protocol}@${p.shots}: ${p.mean.accuracy}`);
  }
  // The same try seeds draw the same subsets for both protocols.
  assert.deepEqual(curve.points[0].tries.map((t) => t.seed), curve.points[1].tries.map((t) => t.seed));
});

test('few-shot bad input: n too large with tooLarge=error', async () => {
  const s = easy(30, 0);
  await assert.rejects(runFewShot({ train: s, val: s, test: s, task: three, shots: [11], tooLarge: 'error', protocols: ['knn'] }), (e: unknown) => e instanceof MedprobeError && /fewer than n=11/.test(e.message));
  // 10 images per class but only 2 patients per class: n=3 is skipped, counted in patients.
  const withPatients = { ...s, patientIds: Array.from(s.labels, (l, i) => `p${l}-${i % 2}`) };
  const curve = await runFewShot({ dataset: 'toy', train: withPatients, val: s, test: s, task: three, shots: [3], protocols: ['knn'] });
  assert.match(curve.skipped[0].reason, /has 2 patients, fewer than n=3/);
});

test('registry entry: the headline names protocol, shots and tries; test-set curve points are never selection candidates', async () => {
  const { fewshotProtocol, FewShotOptionsSchema } = await import('../../src/protocols/fewshot.js');
  const out = await fewshotProtocol.run({
    task: three,
    dataset: 'toy',
    train: easy(60, 0),
    val: easy(30, 300),
    test: easy(30, 600),
    featureSets: {},
    config: FewShotOptionsSchema.parse({ shots: [1, 4], tries: 2, protocols: ['knn'] }),
    seed: 1,
    selectionMetric: 'auroc',
  });
  assert.deepEqual(out.candidates, []);
  assert.equal(out.chosen.headline, 'kNN at 4 shots per class, mean of 2 tries');
  assert.equal(out.chosen.scoredOn, 'test');
  assert.equal(out.selection.split, 'val');
  assert.equal((out.extra!.fewShot as { points: unknown[] }).points.length, 2, 'the curve is kept in extra.fewShot');
});

/** Two labels on 6-d features: label l adds 8 to feature l; row i is positive for l when bit l of i mod 4 is set (so i mod 4 = 0 is no-finding). */
function twoLabels(n: number, offset: number) {
  const s = synth(n, 6, 2, 0, offset);
  const labels = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < 2; l++) {
      const pos = ((offset + i) % 4 >> l) & 1;
      labels[i * 2 + l] = pos;
      if (pos) s.features.data[i * 6 + l] += 8;
    }
  }
  return { features: matrix(n, 6, s.features.data), labels };
}
const nihLike: TaskInfo = { type: 'multi-label', labels: ['effusion', 'mass'] };

test('multi-label sampler: n patients per label plus n no-finding, union of independent seeded draws', () => {
  const train = { ...twoLabels(48, 0), patientIds: Array.from({ length: 48 }, (_, i) => `p${Math.floor(i / 4)}-${i % 4}`) };
  const idx = multiLabelSampler(train, 3, 5);
  const rows = Array.from(idx, (i) => [train.labels[i * 2], train.labels[i * 2 + 1]]);
  for (let l = 0; l < 2; l++) assert.ok(rows.filter((r) => r[l] === 1).length >= 3, `label ${l} has at least n positives`);
  assert.equal(rows.filter((r) => r[0] === 0 && r[1] === 0).length, 3, 'n no-finding images');
  assert.ok(idx.length >= 6 && idx.length <= 9, `union of 3 groups of 3: ${idx.length}`);
  assert.equal(new Set(Array.from(idx)).size, idx.length);
  assert.deepEqual(Array.from(idx), [...idx].sort((a, b) => a - b));
  assert.deepEqual(multiLabelSampler(train, 3, 5), idx, 'same seed, same draw');
  assert.notDeepEqual(multiLabelSampler(train, 3, 6), idx);
});

test('multi-label curve: per-label AUROC on the full test split; n above the smallest label group skipped, naming it', async () => {
  const train = twoLabels(40, 0); // 10 images per group (none, effusion, mass, both)
  const curve = await runFewShot({ dataset: 'nih', train, val: twoLabels(24, 100), test: twoLabels(24, 200), task: nihLike, shots: [2, 30], tries: 2, seed: 1, linear: { lrGrid: [0.1], epochs: 30 } });
  assert.deepEqual(curve.skipped.map((s) => s.shots), [30]);
  assert.match(curve.skipped[0].reason, /nih\/train: (label '(effusion|mass)'|the no-finding group) has (10|20) samples, fewer than n=30/);
  assert.match(String(curve.config.sampler), /n per label plus n no-finding/);
  for (const p of curve.points) {
    assert.equal(p.tries.length, 2);
    // Six to nine training rows: kNN is near perfect; the linear probe's standardisation from so
    // few rows costs it some, but it stays far above chance.
    assert.ok((p.mean.auroc as number) > (p.protocol === 'knn' ? 0.9 : 0.75), `${p.protocol}@${p.shots}: ${p.mean.auroc}`);
  }
});
