import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fewShotOf, gridPointsOf, leakageOf, overlaysOf } from '../../src/report/figure-inputs.js';
import { makeResult } from '../results/make-result.js';

const base = { model: 'm', dataset: 'd', protocol: 'linear', metrics: { auroc: 0.9 } };

test('fewShotOf reads the simple shape and the few-shot protocol output', () => {
  const simple = makeResult({ ...base, extra: { fewShot: { metric: 'auroc', points: [{ shots: 4, mean: 0.8, sd: 0.05 }, { shots: 1, mean: 0.6, sd: 0.1, runs: 5 }] } } });
  assert.deepEqual(fewShotOf(simple, 'f.json'), [
    { label: '', metric: 'auroc', points: [{ shots: 1, mean: 0.6, sd: 0.1, runs: 5 }, { shots: 4, mean: 0.8, sd: 0.05 }] },
  ]);
  // As src/protocols/fewshot.ts returns it: per inner protocol and n, mean/sd per metric; null where undefined.
  const proto = makeResult({
    ...base,
    extra: {
      fewShot: {
        protocol: 'fewshot',
        config: {},
        skipped: [],
        points: [
          { protocol: 'knn', shots: 1, tries: [{}, {}], mean: { auroc: 0.7, accuracy: 0.6 }, sd: { auroc: 0.02, accuracy: 0.03 } },
          { protocol: 'linear', shots: 1, tries: [{}, {}], mean: { auroc: null, accuracy: 0.5 }, sd: { auroc: null, accuracy: 0.1 } },
          { protocol: 'linear', shots: 2, tries: [{}], mean: { auroc: 0.75, accuracy: 0.55 }, sd: { auroc: 0, accuracy: 0 } },
        ],
      },
    },
  });
  assert.deepEqual(fewShotOf(proto, 'f.json'), [
    { label: 'knn', metric: 'auroc', points: [{ shots: 1, mean: 0.7, sd: 0.02, runs: 2 }] },
    { label: 'linear', metric: 'auroc', points: [{ shots: 2, mean: 0.75, sd: 0, runs: 1 }] },
  ]);
  assert.deepEqual(fewShotOf(proto, 'f.json', 'accuracy')[1].points.map((p) => p.mean), [0.5, 0.55]);
  assert.deepEqual(fewShotOf(makeResult(base), 'f.json'), []);
  assert.throws(() => fewShotOf(makeResult({ ...base, extra: { fewShot: { metric: 'auroc', points: [{ shots: 1 }] } } }), 'res/f.json'), /invalid extra\.fewShot in res\/f\.json: points\.0\.mean/);
});

test('gridPointsOf: lr on the x axis, every other param names the head family', () => {
  // The linear probe's candidates (src/protocols/linear/probe.ts): { features, lr, weightDecay }.
  const r = makeResult({
    ...base,
    candidates: [
      { params: { features: 'last4+mean', lr: 0.01, weightDecay: 0 }, score: 0.9 },
      { params: { features: 'cls', lr: 0.001, weightDecay: 0 }, score: 0.8 },
      { params: { features: 'cls', lr: 0.01, weightDecay: 0 }, score: null },
      { params: { k: 5 }, score: 0.7 },
    ],
  });
  assert.deepEqual(gridPointsOf(r), [
    { family: 'feature set last4+mean · weight decay 0', params: { features: 'last4+mean', weightDecay: 0 }, lr: 0.01, score: 0.9 },
    { family: 'feature set cls · weight decay 0', params: { features: 'cls', weightDecay: 0 }, lr: 0.001, score: 0.8 },
  ]);
});

test('overlays and leakage are validated with the file named', () => {
  assert.deepEqual(overlaysOf(makeResult({ ...base, extra: { overlays: ['a.png'] } }), 'f.json'), ['a.png']);
  assert.throws(() => overlaysOf(makeResult({ ...base, extra: { overlays: 'a.png' } }), 'x/f.json'), /invalid extra\.overlays in x\/f\.json/);
  assert.equal(leakageOf(makeResult({ ...base, extra: { leakage: { method: 'phash', crossSplitDuplicates: 0 } } }), 'f.json')?.crossSplitDuplicates, 0);
  assert.throws(() => leakageOf(makeResult({ ...base, extra: { leakage: { method: 'phash' } } }), 'f.json'), /invalid extra\.leakage in f\.json/);
  // checkLeakage's own report (src/data/leakage/check.ts) is summarised.
  const report = {
    dataset: 'd',
    threshold: 6,
    hashed: 100,
    pairs: [{}, {}, {}],
    counts: { 'train/test': 2, 'train/val': 1 },
    patientOverlap: [{}],
    patientIdsAvailable: true,
    failures: [],
  };
  assert.deepEqual(leakageOf(makeResult({ ...base, extra: { leakage: report } }), 'f.json'), {
    method: 'perceptual hash (pHash), Hamming distance ≤ 6 of 64 bits',
    threshold: 6,
    checked: 100,
    crossSplitDuplicates: 3,
    pairs: { 'train/test': 2, 'train/val': 1 },
    patientOverlap: 1,
    failures: 0,
  });
});

test('probe-grid figure: 4 feature sets × 5 weight decays draw 4 lines, each point the best over weight decay', async () => {
  const { gridFigure } = await import('../../src/report/figures.js');
  const points = [];
  for (const features of ['last1/cls', 'last1/cls+mean', 'last4/cls', 'last4/cls+mean'])
    for (const weightDecay of [0, 1e-4, 1e-3, 1e-2, 1e-1])
      for (const lr of [1e-3, 1e-2, 1e-1]) points.push({ family: '', params: { features, weightDecay }, lr, score: 0.5 + lr + weightDecay / 10 + (features === 'last4/cls' ? 0.1 : 0) });
  const fig = gridFigure('g', 'm', 'd', 'auroc', points);
  assert.match(fig.caption, /each point is the best over weight decay at that lr/);
  assert.match(fig.caption, /Circled: the chosen head, 0\.71\d at lr 0\.1 \(weight decay 0\.1\)/);
  assert.match(fig.alt, /for 4 head families/);
});

test('probe-grid figure circles the chosen head, which the train-loss rule may place below the highest point, and says why', async () => {
  const { gridFigure } = await import('../../src/report/figures.js');
  const r = makeResult({
    ...base,
    candidates: [
      { params: { features: 'pooled', lr: 0.1, weightDecay: 1 }, score: 0.82 },
      { params: { features: 'pooled', lr: 1e-4, weightDecay: 1 }, score: 0.85 },
      { params: { features: 'pooled', lr: 0.1, weightDecay: 0 }, score: 0.8 },
    ],
  });
  r.selection.chosen = { features: 'pooled', lr: 0.1, weightDecay: 1 };
  const pts = gridPointsOf(r);
  assert.deepEqual(pts.map((p) => p.chosen ?? false), [true, false, false]);
  const fig = gridFigure('g', 'm', 'd', 'auroc', pts, 'the lr is chosen per weight decay by training objective');
  assert.match(fig.caption, /Circled: the chosen head, 0\.820 at lr 0\.1; not the highest point, because the lr is chosen per weight decay by training objective\./);
  assert.match(fig.alt, /best 0\.850 at lr 1e-4 .*; chosen 0\.820 at lr 0\.1/);
  // Chosen = highest: no explanation needed.
  r.selection.chosen = { features: 'pooled', lr: 1e-4, weightDecay: 1 };
  assert.match(gridFigure('g', 'm', 'd', 'auroc', gridPointsOf(r), 'x').caption, /Circled: the chosen head, 0\.850 at lr 1e-4\.$/);
});
