import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskInfo } from '../../src/data/types.js';
import {
  accuracy,
  balancedAccuracy,
  binaryAuroc,
  confusionMatrix,
  evaluateClassification,
  macroF1,
  mcc,
  multiLabelAuroc,
  oneVsRestAuroc,
  prepareBinaryAuroc,
  prepareClassification,
} from '../../src/metrics/classification.js';
import { MedprobeError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/random.js';

// Reference values marked "sklearn" were computed once with scikit-learn 1.2.1 / numpy
// (Debian python3-sklearn) on exactly these inputs, scores cast to float32:
// roc_auc_score, accuracy_score, balanced_accuracy_score, f1_score(average='macro',
// zero_division=0), matthews_corrcoef; multi-class AUROC with multi_class='ovr', average='macro'.

const close = (actual: number | null | undefined, expected: number, tol = 1e-12) => {
  assert.ok(actual !== null && actual !== undefined, `expected ${expected}, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);
};

test('binary AUROC counts tied pairs as one half (Mann–Whitney U with average ranks)', () => {
  // positives 0.35, 0.8, 0.4; negatives 0.1, 0.4, 0.4.
  // 0.35 beats 0.1 → 1; 0.8 beats all → 3; 0.4 beats 0.1 and ties two 0.4 → 1 + 2·½ = 2.
  // U = 6 of 3·3 = 9 pairs → 2/3. sklearn: 0.6666666666666667.
  const y = [0, 0, 1, 1, 0, 1];
  const s = new Float32Array([0.1, 0.4, 0.35, 0.8, 0.4, 0.4]);
  close(binaryAuroc(y, s), 2 / 3);
  close(prepareBinaryAuroc(y, s)([1, 1, 1, 1, 1, 1]), 2 / 3);
});

test('binary AUROC is null with one class, 1 / 0 when perfectly (anti-)ordered', () => {
  assert.equal(binaryAuroc([1, 1, 1], [0.1, 0.2, 0.3]), null);
  assert.equal(binaryAuroc([0, 0], [0.1, 0.2]), null);
  assert.equal(binaryAuroc([], []), null);
  assert.equal(binaryAuroc([0, 1], [0.1, 0.9]), 1);
  assert.equal(binaryAuroc([1, 0], [0.1, 0.9]), 0);
  assert.equal(binaryAuroc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5]), 0.5);
  assert.equal(prepareBinaryAuroc([0, 1, 1], [0.2, 0.1, 0.3])([1, 0, 0]), null);
});

test('binary AUROC rejects non-finite scores and mismatched lengths', () => {
  assert.throws(() => binaryAuroc([0, 1], [0.1, NaN]), MedprobeError);
  assert.throws(() => binaryAuroc([0, 1, 1], [0.1, 0.2]), MedprobeError);
});

test('prepared AUROC with multiplicities equals AUROC of the materialised resample', () => {
  const rng = createRng(7);
  const n = 300;
  const y = Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
  // 20 distinct values, so ties are everywhere.
  const s = Float32Array.from({ length: n }, (_, i) => Math.round((y[i] * 0.3 + rng.next()) * 20) / 20);
  const scoreOf = prepareBinaryAuroc(y, s);
  for (let r = 0; r < 5; r++) {
    const counts = new Uint32Array(n);
    const yy: number[] = [];
    const ss: number[] = [];
    for (let j = 0; j < n; j++) {
      const i = rng.int(n);
      counts[i]++;
      yy.push(y[i]);
      ss.push(s[i]);
    }
    close(scoreOf(counts), binaryAuroc(yy, ss)!, 1e-12);
  }
});

test('binary AUROC stays exact on pixel-scale inputs with heavy ties', () => {
  // 512k scores on 256 levels: negatives on levels 0..255, positives on 64..319, equal counts per level.
  // AUROC in closed form over level pairs:
  const n = 1 << 18;
  const y = new Uint8Array(2 * n);
  const s = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    s[i] = i % 256;
    y[n + i] = 1;
    s[n + i] = 64 + (i % 256);
  }
  // Per level pair (a neg level, b pos level): b > a counts 1, b = a counts ½, each level has n/256 samples.
  // Over 256×256 level pairs: pos level b = 64+j. #a < b = min(256, 64+j); ties 1 if 64+j < 256.
  let u = 0;
  for (let j = 0; j < 256; j++) u += Math.min(256, 64 + j) + (64 + j < 256 ? 0.5 : 0);
  close(binaryAuroc(y, s), u / (256 * 256));
});

test('confusion-matrix metrics: hand-worked 3-class example', () => {
  // truth [0,1,2,2,1,0], predicted [0,1,1,2,0,0] → rows true, cols predicted:
  // [[2,0,0],[1,1,0],[0,1,1]]
  const cm = confusionMatrix([0, 1, 2, 2, 1, 0], [0, 1, 1, 2, 0, 0], 3);
  assert.deepEqual(Array.from(cm.counts), [2, 0, 0, 1, 1, 0, 0, 1, 1]);
  close(accuracy(cm), 4 / 6);
  // recalls 2/2, 1/2, 1/2 → 2/3
  close(balancedAccuracy(cm), 2 / 3);
  // F1 = 2TP/(2TP+FP+FN): 4/5, 2/4, 2/3 → mean 0.655…; sklearn 0.6555555555555556
  close(macroF1(cm), (0.8 + 0.5 + 2 / 3) / 3);
  // c=4, s=6, t=[2,2,2], p=[3,2,1]: (24−12)/sqrt((36−12)(36−14)) = 12/sqrt(528); sklearn 0.5222329678670935
  close(mcc(cm), 12 / Math.sqrt(528));
  close(mcc(cm), 0.5222329678670935, 1e-15);
});

test('confusion-matrix metrics follow sklearn on absent and prediction-only classes', () => {
  // Class 2 of 3 never occurs: left out of F1 and balanced accuracy.
  // truth [0,0,1,1,1], pred [0,1,1,1,0]: F1 0: 2/4, F1 1: 4/6 → 0.58333; recalls ½, ⅔ → 0.58333.
  // sklearn: f1 0.5833333333333333, balanced 0.5833333333333333, mcc 0.16666666666666666
  let cm = confusionMatrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], 3);
  close(macroF1(cm), 0.5833333333333333, 1e-15);
  close(balancedAccuracy(cm), 0.5833333333333333, 1e-15);
  close(mcc(cm), 0.16666666666666666, 1e-15);
  // Class 2 only predicted: counts in F1 (as 0), not in balanced accuracy (sklearn drops it with a warning).
  // sklearn: f1 0.5555555555555555, balanced 0.75, mcc 0.6708203932499369
  cm = confusionMatrix([0, 0, 1, 1], [0, 2, 1, 1], 3);
  close(macroF1(cm), 0.5555555555555555, 1e-15);
  close(balancedAccuracy(cm), 0.75);
  close(mcc(cm), 0.6708203932499369, 1e-15);
  // A constant prediction has zero variance: sklearn returns 0.
  assert.equal(mcc(confusionMatrix([0, 1, 1, 0], [1, 1, 1, 1], 2)), 0);
  // No samples: undefined, not 0.
  const empty = confusionMatrix([], [], 2);
  assert.equal(accuracy(empty), null);
  assert.equal(mcc(empty), null);
  assert.equal(macroF1(empty), null);
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), MedprobeError);
});

const binaryTask: TaskInfo = { type: 'binary', labels: ['normal', 'pneumonia'] };
const mcTask: TaskInfo = { type: 'multi-class', labels: ['a', 'b', 'c'] };
const mlTask: TaskInfo = { type: 'multi-label', labels: ['x', 'y'] };

test('evaluateClassification, binary: P > 0.5 is positive (0.5 itself is negative, as MedMNIST)', () => {
  // scores [0.1,0.5,0.35,0.8,0.4,0.5], truth [0,0,1,1,0,1] → decisions [0,0,0,1,0,0]
  // AUROC: pos 0.35→1, 0.8→3, 0.5→2+½ = 6.5/9. CM [[3,0],[2,1]]: acc 4/6, balanced (1+⅓)/2,
  // F1 (6/8 + 2/4)/2 = 0.625, MCC (24−18)/sqrt(18·10).
  // sklearn: [0.7222222222222222, 0.6666666666666666, 0.6666666666666666, 0.625, 0.4472135954999579]
  const labels = Int32Array.from([0, 0, 1, 1, 0, 1]);
  const scores = Float32Array.from([0.1, 0.5, 0.35, 0.8, 0.4, 0.5]);
  const m = evaluateClassification(binaryTask, labels, scores);
  close(m.auroc, 6.5 / 9);
  close(m.accuracy, 4 / 6);
  close(m.balancedAccuracy, 2 / 3);
  close(m.macroF1, 0.625);
  close(m.mcc, 6 / Math.sqrt(180));
  close(m.mcc, 0.4472135954999579, 1e-15);
  assert.deepEqual(Object.keys(m).sort(), ['accuracy', 'auroc', 'balancedAccuracy', 'macroF1', 'mcc']);
  // Two columns: MedMNIST's y_score[:, -1] — same result.
  const two = Float32Array.from(Array.from(scores).flatMap((p) => [1 - p, p]));
  assert.deepEqual(evaluateClassification(binaryTask, labels, two), m);
});

test('evaluateClassification, multi-class: argmax (first max on ties) and one-vs-rest AUROC', () => {
  // Row 4 ties 0.4/0.4 → class 0 (numpy argmax). Decisions [0,1,1,2,0,0]; CM as the 3-class example.
  // OvR AUROC: class a 1; class b: both 0.4 beat 0.2,0.2,0.3, lose to 0.5 → 6/8;
  // class c: 0.3 beats 3 and ties 1 → 3.5, 0.7 beats 4 → 7.5/8. Macro (1+0.75+0.9375)/3.
  // sklearn: auroc 0.8958333333333334, acc 0.6666666666666666, balanced 0.6666666666666666,
  // f1 0.6555555555555556, mcc 0.5222329678670935; per class [1.0, 0.75, 0.9375]
  const labels = Int32Array.from([0, 1, 2, 2, 1, 0]);
  const scores = Float32Array.from([0.7, 0.2, 0.1, 0.3, 0.4, 0.3, 0.2, 0.5, 0.3, 0.1, 0.2, 0.7, 0.4, 0.4, 0.2, 0.5, 0.3, 0.2]);
  const m = evaluateClassification(mcTask, labels, scores);
  close(m.auroc, 0.8958333333333334, 1e-15);
  close(m['auroc/a'], 1);
  close(m['auroc/b'], 0.75);
  close(m['auroc/c'], 0.9375);
  close(m.accuracy, 4 / 6);
  close(m.balancedAccuracy, 2 / 3);
  close(m.macroF1, 0.6555555555555556, 1e-15);
  close(m.mcc, 0.5222329678670935, 1e-15);
  // Ordinal is scored exactly like multi-class.
  assert.deepEqual(evaluateClassification({ type: 'ordinal', labels: ['a', 'b', 'c'] }, labels, scores), m);
});

test('evaluateClassification, multi-label: P ≥ 0.5 predicts a label; metrics are per-label means', () => {
  // truth [[1,0],[0,1],[1,1],[0,0]], scores [[.9,.5],[.2,.6],[.5,.3],[.5,.1]] → decisions [[1,1],[0,1],[1,0],[1,0]]
  // label x: acc 3/4, F1 4/5, balanced (½+1)/2, MCC 4/sqrt(48), AUROC (2 + 1.5)/4
  // label y: acc 2/4, F1 2/4, balanced ½, MCC 0, AUROC (2 + 1)/4
  // sklearn: per-label AUROC [0.875, 0.75], f1_score macro 0.65, acc [0.75, 0.5],
  // balanced [0.75, 0.5], MCC [0.5773502691896258, 0.0]
  const labels = Int32Array.from([1, 0, 0, 1, 1, 1, 0, 0]);
  const scores = Float32Array.from([0.9, 0.5, 0.2, 0.6, 0.5, 0.3, 0.5, 0.1]);
  const m = evaluateClassification(mlTask, labels, scores);
  close(m['auroc/x'], 0.875);
  close(m['auroc/y'], 0.75);
  close(m.auroc, 0.8125);
  close(m.accuracy, 0.625);
  close(m.balancedAccuracy, 0.625);
  close(m.macroF1, 0.65, 1e-15);
  close(m.mcc, 0.5773502691896258 / 2, 1e-15);
});

test('per-class AUROC is null for a class absent from the labels; macro averages the rest', () => {
  const r = oneVsRestAuroc([0, 0, 1, 1], [0.9, 0.1, 0, 0.8, 0.2, 0, 0.3, 0.6, 0.1, 0.4, 0.5, 0.1], 3);
  assert.deepEqual(r.perClass, [1, 1, null]);
  assert.equal(r.macro, 1);
  const ml = multiLabelAuroc([1, 0, 0, 0], [0.2, 0.3, 0.1, 0.4], 2);
  assert.deepEqual(ml.perClass, [1, null]);
});

// Formula-generated data (n = 200), replicated verbatim in the Python reference script:
//   i = arange(200)
//   binary:      y = (7i + i//3) % 2,  s = float32(((37i + 11) % 53) / 53)
//   multi-class: y = (13i + i//5) % 4, raw[i,c] = ((31i + 17c + 7) % 29) + 1, P = float32(raw / raw.sum(1))
//   multi-label: Y[i,l] = ((i(l+3) + l + i//7) % 3 == 0), S[i,l] = float32(((i(5+2l) + 3l) % 41) / 40)
const n = 200;
const idx = Array.from({ length: n }, (_, i) => i);

test('evaluateClassification matches sklearn on formula data with many ties (binary)', () => {
  const labels = Int32Array.from(idx, (i) => (7 * i + Math.floor(i / 3)) % 2);
  const scores = Float32Array.from(idx, (i) => ((37 * i + 11) % 53) / 53);
  const m = evaluateClassification(binaryTask, labels, scores);
  // sklearn: [0.4874312647289867, 0.5, 0.49444506789361464, 0.4832575444398512, -0.010492222537042397]
  close(m.auroc, 0.4874312647289867, 1e-12);
  close(m.accuracy, 0.5, 1e-12);
  close(m.balancedAccuracy, 0.49444506789361464, 1e-12);
  close(m.macroF1, 0.4832575444398512, 1e-12);
  close(m.mcc, -0.010492222537042397, 1e-12);
});

test('evaluateClassification matches sklearn on formula data (4-class)', () => {
  const labels = Int32Array.from(idx, (i) => (13 * i + Math.floor(i / 5)) % 4);
  const scores = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const raw = [0, 1, 2, 3].map((c) => ((31 * i + 17 * c + 7) % 29) + 1);
    const sum = raw.reduce((a, b) => a + b, 0);
    raw.forEach((r, c) => (scores[i * 4 + c] = r / sum));
  }
  const task: TaskInfo = { type: 'multi-class', labels: ['c0', 'c1', 'c2', 'c3'] };
  const m = evaluateClassification(task, labels, scores);
  // sklearn: ovr macro 0.5074888392857143, acc 0.265, balanced 0.25625, f1 0.24950649394804839,
  // mcc 0.007590771758079635; per class [0.5081547619047619, 0.5081249999999999, 0.4989880952380953, 0.5146875000000001]
  close(m.auroc, 0.5074888392857143, 1e-12);
  close(m.accuracy, 0.265, 1e-12);
  close(m.balancedAccuracy, 0.25625, 1e-12);
  close(m.macroF1, 0.24950649394804839, 1e-12);
  close(m.mcc, 0.007590771758079635, 1e-12);
  [0.5081547619047619, 0.5081249999999999, 0.4989880952380953, 0.5146875000000001].forEach((v, c) => close(m[`auroc/c${c}`], v, 1e-12));
});

test('evaluateClassification matches sklearn / MedMNIST on formula data (3-label)', () => {
  const L = 3;
  const labels = new Int32Array(n * L);
  const scores = new Float32Array(n * L);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < L; l++) {
      labels[i * L + l] = (i * (l + 3) + l + Math.floor(i / 7)) % 3 === 0 ? 1 : 0;
      scores[i * L + l] = ((i * (5 + 2 * l) + 3 * l) % 41) / 40;
    }
  }
  const task: TaskInfo = { type: 'multi-label', labels: ['l0', 'l1', 'l2'] };
  const m = evaluateClassification(task, labels, scores);
  // sklearn: per-label AUROC [0.5097802197802198, 0.5131859499495006, 0.49220954484112384];
  // f1 macro 0.4038637275212021; mean per-label acc 0.505, balanced 0.5087847781092085, MCC 0.01680279820055852
  [0.5097802197802198, 0.5131859499495006, 0.49220954484112384].forEach((v, l) => close(m[`auroc/l${l}`], v, 1e-12));
  close(m.auroc, (0.5097802197802198 + 0.5131859499495006 + 0.49220954484112384) / 3, 1e-12);
  close(m.macroF1, 0.4038637275212021, 1e-12);
  close(m.accuracy, 0.505, 1e-12);
  close(m.balancedAccuracy, 0.5087847781092085, 1e-12);
  close(m.mcc, 0.01680279820055852, 1e-12);
});

test('prepared evaluation with unit counts equals evaluateClassification; with counts, the resample', () => {
  const rng = createRng(3);
  const cases: [TaskInfo, number, number][] = [
    [binaryTask, 1, 1],
    [mcTask, 1, 3],
    [mlTask, 2, 2],
  ];
  for (const [task, lw, sw] of cases) {
    const m = 120;
    const labels = Int32Array.from({ length: m * lw }, () => rng.int(task.type === 'multi-class' ? 3 : 2));
    const scores = Float32Array.from({ length: m * sw }, () => Math.round(rng.next() * 10) / 10);
    const p = prepareClassification(task, labels, scores);
    const direct = evaluateClassification(task, labels, scores);
    const viaCounts = p.evaluate(new Uint32Array(m).fill(1));
    for (const k of Object.keys(direct)) close(viaCounts[k], direct[k] as number, 1e-12);
    const counts = new Uint32Array(m);
    const l2: number[] = [];
    const s2: number[] = [];
    for (let j = 0; j < m; j++) {
      const i = rng.int(m);
      counts[i]++;
      l2.push(...labels.subarray(i * lw, (i + 1) * lw));
      s2.push(...scores.subarray(i * sw, (i + 1) * sw));
    }
    const resampled = evaluateClassification(task, Int32Array.from(l2), Float32Array.from(s2));
    const weighted = p.evaluate(counts);
    for (const k of Object.keys(resampled)) {
      if (resampled[k] === null) assert.equal(weighted[k], null, k);
      else close(weighted[k], resampled[k] as number, 1e-12);
    }
  }
});

test('evaluateClassification rejects malformed input with a MedprobeError', () => {
  assert.throws(() => evaluateClassification(binaryTask, Int32Array.from([0, 2]), Float32Array.from([0.1, 0.2])), MedprobeError);
  assert.throws(() => evaluateClassification(mcTask, Int32Array.from([0, 1]), Float32Array.from([0.1, 0.2])), MedprobeError);
  assert.throws(() => evaluateClassification(binaryTask, Int32Array.from([0, 1]), Float32Array.from([0.1, NaN])), MedprobeError);
  assert.throws(() => evaluateClassification(mlTask, Int32Array.from([0, 1, 1]), Float32Array.from([0.1, 0.2, 0.3])), MedprobeError);
  assert.throws(() => evaluateClassification({ type: 'binary', labels: ['only'] }, Int32Array.from([0]), Float32Array.from([0.1])), MedprobeError);
});

test('evaluateClassification on a single-class split: AUROC null, accuracy defined', () => {
  const m = evaluateClassification(binaryTask, Int32Array.from([1, 1, 1]), Float32Array.from([0.9, 0.2, 0.7]));
  assert.equal(m.auroc, null);
  close(m.accuracy, 2 / 3);
});
