import type { MedprobeError } from '../../src/util/errors.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateRanks, buildLeaderboard, normaliseModality, rankValues } from '../../src/results/leaderboard.js';
import { PROTOCOLS, PROTOCOL_NAMES, kindMainScore, mainScoreOf } from '../../src/protocols/registry.js';
import { makeResult } from './make-result.js';

test('rankValues: ties share the average rank, missing stays missing', () => {
  // Hand-worked: 0.7 ×3 span ranks 1..3 → 2 each; 0.5 → 4; 0.1 → 5.
  assert.deepEqual(rankValues([0.5, 0.7, null, 0.7, 0.7, 0.1]), [4, 2, null, 2, 2, 5]);
  // Lower is better: 0.1 → 1, 0.5 → 2, 0.7 ×3 span 3..5 → 4.
  assert.deepEqual(rankValues([0.5, 0.7, null, 0.7, 0.7, 0.1], true), [2, 4, null, 4, 4, 1]);
  assert.deepEqual(rankValues([null, null]), [null, null]);
});

test('aggregateRanks: Borda counts models beaten (ties half), missing earns nothing', () => {
  // Two models, equal mean rank (1.5): the Borda count breaks the tie.
  // T1: X=1, Y=2 (n=2) → X 1, Y 0.  T2: Y=1, X=2 → Y 1, X 0.  T3: X only (n=1) → X rank 1, 0 points.
  // X: mean (1+2+1)/3 = 1.333, Borda 1.  Y: mean 1.5, Borda 1.
  const rows = aggregateRanks(['Y', 'X'], [[2, 1, null], [1, 2, 1]]);
  assert.deepEqual(rows, [
    { model: 'X', meanRank: 4 / 3, borda: 1, tasksRanked: 3 },
    { model: 'Y', meanRank: 1.5, borda: 1, tasksRanked: 2 },
  ]);
  // Equal mean rank, Borda decides: P ranked 1 on a 3-model task, Q ranked 1 on a 2-model task.
  // T1: P 1, R 2, S 3 (n=3 → P 2, R 1, S 0).  T2: Q 1, R 2 (n=2 → Q 1, R 0).
  // P mean 1 Borda 2; Q mean 1 Borda 1; R mean 2 Borda 1; S mean 3 Borda 0.
  const tie = aggregateRanks(['Q', 'P', 'R', 'S'], [[null, 1], [1, null], [2, 2], [3, null]]);
  assert.deepEqual(tie.map((r) => [r.model, r.meanRank, r.borda]), [['P', 1, 2], ['Q', 1, 1], ['R', 2, 1], ['S', 3, 0]]);
});

test('buildLeaderboard: hand-worked 3 models × 3 tasks with a tie and a missing cell', () => {
  const results = [
    ['A', 'T1', 0.9], ['B', 'T1', 0.8], ['C', 'T1', 0.7],
    ['A', 'T2', 0.8], ['B', 'T2', 0.8], ['C', 'T2', 0.9],
    ['A', 'T3', 0.6], ['C', 'T3', 0.7], ['B', 'T3', null],
  ].map(([model, dataset, v]) => makeResult({ model: model as string, dataset: dataset as string, protocol: 'knn', metrics: { auroc: v as number | null }, modality: 'CT' }));
  const lb = buildLeaderboard(results);
  assert.equal(lb.protocols.length, 1);
  const tb = lb.protocols[0];
  // Per task ranks — T1: A1 B2 C3 (Borda 2,1,0); T2: C1, A=B=2.5 (Borda C2, A.5, B.5); T3: C1 A2, B missing (Borda C1, A0).
  // Mean rank: A (1+2.5+2)/3 = 1.8333, B (2+2.5)/2 = 2.25, C (3+1+1)/3 = 1.6667.
  // Borda: A 2.5, B 1.5, C 3.
  assert.deepEqual(tb.models, ['C', 'A', 'B']);
  assert.deepEqual(tb.ranking.map((r) => r.borda), [3, 2.5, 1.5]);
  assert.deepEqual(tb.ranking.map((r) => r.tasksRanked), [3, 3, 2]);
  const mean = tb.ranking.map((r) => r.meanRank!);
  [5 / 3, 5.5 / 3, 2.25].forEach((want, i) => assert.ok(Math.abs(mean[i] - want) < 1e-12, `${mean[i]} vs ${want}`));
  // B's T3 file exists but its metric is null: the cell is present, value and rank missing (not 0).
  const bT3 = tb.cells[2][2];
  assert.deepEqual(bT3, { value: null, rank: null });
  assert.equal(tb.cells[1][1]!.rank, 2.5);
  assert.deepEqual(tb.tasks.map((t) => t.dataset), ['T1', 'T2', 'T3']);
});

test('buildLeaderboard: no result file means a null cell; CIs carried; protocol filter; lower-is-better metric', () => {
  const results = [
    makeResult({ model: 'A', dataset: 'cxr', protocol: 'linear', metrics: { auroc: 0.9, ece: 0.05 }, ci: { auroc: { low: 0.85, high: 0.94 } }, modality: 'xray' }),
    makeResult({ model: 'B', dataset: 'cxr', protocol: 'linear', metrics: { auroc: 0.8, ece: 0.02 }, modality: 'xray' }),
    makeResult({ model: 'B', dataset: 'brain', protocol: 'linear', metrics: { auroc: 0.7, ece: 0.1 }, modality: 'MR' }),
    makeResult({ model: 'A', dataset: 'cxr', protocol: 'knn', metrics: { auroc: 0.85 } }),
  ];
  const lb = buildLeaderboard(results, { protocol: 'linear' });
  assert.deepEqual(lb.protocols.map((p) => p.protocol), ['linear']);
  const tb = lb.protocols[0];
  assert.deepEqual(tb.tasks.map((t) => [t.dataset, t.modality]), [['brain', 'MRI'], ['cxr', 'X-ray']]);
  const a = tb.models.indexOf('A');
  assert.equal(tb.cells[a][0], null);
  assert.deepEqual(tb.cells[a][1], { value: 0.9, ci: { low: 0.85, high: 0.94, level: 0.95 }, rank: 1 });
  // Only names of the metric vocabulary rank: `acc` would rank every model on empty cells.
  assert.throws(
    () => buildLeaderboard(results, { metric: 'acc' }),
    (e: MedprobeError) => /^unknown classification metric "acc" — use one of auroc, accuracy, balancedAccuracy, macroF1, mcc/.test(e.oneLine()),
  );
  assert.throws(() => buildLeaderboard(results, { metric: 'dice' }), /unknown classification metric "dice"/);
  assert.throws(() => buildLeaderboard(results, { protocol: 'fewshot' }), /no results for protocol fewshot/);
  assert.throws(() => buildLeaderboard([...results, results[0]]), /two results for model A, dataset cxr, protocol linear/);
});

test('buildLeaderboard --metric accuracy: ranked on accuracy; a model without the metric ranks last, never first', () => {
  const results = [
    makeResult({ model: 'A', dataset: 'cxr', protocol: 'linear', metrics: { auroc: 0.9, accuracy: 0.7 } }),
    makeResult({ model: 'B', dataset: 'cxr', protocol: 'linear', metrics: { auroc: 0.8, accuracy: 0.8 } }),
    makeResult({ model: 'C', dataset: 'cxr', protocol: 'linear', metrics: { auroc: 0.95 } }),
  ];
  const tb = buildLeaderboard(results, { metric: 'ACCURACY' }).protocols[0];
  assert.equal(tb.metric, 'accuracy');
  assert.deepEqual(tb.ranking.map((r) => [r.model, r.meanRank]), [['B', 1], ['A', 2], ['C', null]]);
});

test('buildLeaderboard: segmentation tables use the segmentation metric; cross-task ranks per model', () => {
  const results = [
    makeResult({ model: 'A', dataset: 'cxr', protocol: 'knn', metrics: { auroc: 0.9 } }),
    makeResult({ model: 'B', dataset: 'cxr', protocol: 'knn', metrics: { auroc: 0.8 } }),
    makeResult({ model: 'A', dataset: 'drive', protocol: 'segmentation', metrics: { dice: 0.5, diceJaccard: 0.4 } }),
    makeResult({ model: 'B', dataset: 'drive', protocol: 'segmentation', metrics: { dice: 0.6, diceJaccard: 0.5 } }),
  ];
  const lb = buildLeaderboard(results);
  const seg = lb.protocols.find((p) => p.protocol === 'segmentation')!;
  assert.equal(seg.metric, 'diceJaccard', 'a protocol outside the registry is ranked by its kind\'s main score');
  assert.equal(seg.tasks[0].kind, 'segmentation');
  assert.deepEqual(lb.crossTask, [
    { model: 'A', classification: 1, segmentation: 2 },
    { model: 'B', classification: 2, segmentation: 1 },
  ]);
});

test('buildLeaderboard: modalityOf fills in datasets whose results state none; a stated modality wins', () => {
  const results = [
    makeResult({ model: 'A', dataset: 'chexpert', protocol: 'knn', metrics: { auroc: 0.9 } }),
    makeResult({ model: 'A', dataset: 'brain', protocol: 'knn', metrics: { auroc: 0.9 }, modality: 'MR' }),
  ];
  const lb = buildLeaderboard(results, { modalityOf: (d) => (d === 'chexpert' ? 'X-ray' : 'CT') });
  assert.deepEqual(lb.protocols[0].tasks.map((t) => [t.dataset, t.modality]), [['brain', 'MRI'], ['chexpert', 'X-ray']]);
  // Default: the reference-study registry knows chexpert is X-ray; unknown names stay 'unknown'.
  const byDefault = buildLeaderboard([...results, makeResult({ model: 'A', dataset: 'mystery', protocol: 'knn', metrics: { auroc: 0.5 } })]);
  assert.deepEqual(byDefault.protocols[0].tasks.map((t) => t.modality), ['MRI', 'X-ray', 'unknown']);
});

test('normaliseModality groups common spellings', () => {
  assert.equal(normaliseModality('X-ray'), 'X-ray');
  assert.equal(normaliseModality('CXR'), 'X-ray');
  assert.equal(normaliseModality('ct'), 'CT');
  assert.equal(normaliseModality('MR'), 'MRI');
  assert.equal(normaliseModality('fundus'), 'fundus');
  assert.equal(normaliseModality(undefined), 'unknown');
});

test('a summarised protocol says what its number is (few-shot: protocol, shots, tries) in the table and the Markdown', async () => {
  const { leaderboardMarkdown } = await import('../../src/report/markdown.js');
  const r = makeResult({ model: 'A', dataset: 'cxr', protocol: 'fewshot', metrics: { auroc: 0.83 } });
  r.selection.chosen = { headline: 'kNN at 64 shots per class, mean of 5 tries', protocol: 'knn', shots: 64 };
  const lb = buildLeaderboard([r, makeResult({ model: 'A', dataset: 'cxr', protocol: 'knn', metrics: { auroc: 0.9 } })]);
  assert.equal(lb.protocols.find((p) => p.protocol === 'fewshot')!.headline, 'kNN at 64 shots per class, mean of 5 tries');
  assert.equal(lb.protocols.find((p) => p.protocol === 'knn')!.headline, undefined);
  assert.match(leaderboardMarkdown(lb), /Test auroc of kNN at 64 shots per class, mean of 5 tries; no confidence intervals\./);
});

test('buildLeaderboard ranks each table by its protocol\'s registered main score: segmentation by (Dice+Jaccard)/2, not Dice', () => {
  // The registry: every segmentation protocol's main score is diceJaccard, every classification one's auroc.
  for (const n of PROTOCOL_NAMES) assert.equal(PROTOCOLS[n].mainScore, PROTOCOLS[n].kind === 'segmentation' ? 'diceJaccard' : 'auroc', n);
  assert.equal(kindMainScore('segmentation'), 'diceJaccard');
  assert.equal(kindMainScore('classification'), 'auroc');
  // A ranks first by Dice, B by (Dice+Jaccard)/2 (Jaccard is not a function of the mean Dice over cases).
  const results = [
    makeResult({ model: 'A', dataset: 'drive', protocol: 'seg-unet', metrics: { dice: 0.8, iou: 0.5, diceJaccard: 0.65 } }),
    makeResult({ model: 'B', dataset: 'drive', protocol: 'seg-unet', metrics: { dice: 0.75, iou: 0.6, diceJaccard: 0.675 } }),
    makeResult({ model: 'A', dataset: 'cxr', protocol: 'linear', metrics: { auroc: 0.9, accuracy: 0.6 } }),
    makeResult({ model: 'B', dataset: 'cxr', protocol: 'linear', metrics: { auroc: 0.8, accuracy: 0.7 } }),
  ];
  const lb = buildLeaderboard(results);
  assert.deepEqual([lb.metric, lb.segmentationMetric], ['auroc', 'diceJaccard']);
  const seg = lb.protocols.find((p) => p.protocol === 'seg-unet')!;
  assert.equal(seg.metric, mainScoreOf('seg-unet', 'segmentation'));
  assert.deepEqual(seg.ranking.map((r) => r.model), ['B', 'A']);
  assert.deepEqual(lb.protocols.find((p) => p.protocol === 'linear')!.ranking.map((r) => r.model), ['A', 'B']);
  // An explicit metric still overrides the main score, per kind.
  const byDice = buildLeaderboard(results, { segmentationMetric: 'dice' });
  assert.deepEqual(byDice.protocols.find((p) => p.protocol === 'seg-unet')!.ranking.map((r) => r.model), ['A', 'B']);
  assert.equal(byDice.protocols.find((p) => p.protocol === 'linear')!.metric, 'auroc');
});
