import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnStats, headColumns, headObjectives, predictHeads, trainHeads } from '../../src/engine/heads.js';
import { matrixRows } from '../../src/engine/rows.js';
import { evaluateClassification } from '../../src/metrics/evaluate-classification.js';
import { probeTargets } from '../../src/protocols/linear/probe.js';
import type { TaskInfo } from '../../src/data/types.js';
import { synth } from '../protocols/synth.js';

test('full-batch momentum SGD with cosine schedule matches numpy step by step', async () => {
  const { features, labels } = synth(30, 4, 3, 1.0, 0);
  const task: TaskInfo = { type: 'multi-class', labels: ['a', 'b', 'c'] };
  const [bank] = await trainHeads({
    sources: [matrixRows(features)],
    heads: [[{ lr: 0.5, weightDecay: 0.01 }]],
    targets: probeTargets(task, labels),
    classes: 3,
    activation: 'softmax',
    epochs: 5,
    batchSize: 64, // ≥ n: one batch per epoch, so the order of rows cannot matter
    seed: 1,
  });
  // From test/protocols/reference/classification_reference.py ("sgd W=", "sgd b="): numpy
  // float64, standardised with population std, W,b from zeros, 5 steps, factor ½(1+cos(πt/5)).
  const W = [[0.490363, -0.25483, -0.235533], [-0.312913, 0.557759, -0.244846], [-0.230788, -0.237055, 0.467843], [-0.073513, -0.017982, 0.091494]].flat();
  const b = [0.000706, 0.001956, -0.002661];
  W.forEach((v, i) => assert.ok(Math.abs(bank.w[i] - v) < 2e-5, `W[${i}] ${bank.w[i]} vs ${v}`));
  b.forEach((v, i) => assert.ok(Math.abs(bank.b[i] - v) < 2e-5, `b[${i}] ${bank.b[i]} vs ${v}`));
});

test('heads trained together equal the same heads trained one by one', async () => {
  const { features, labels } = synth(300, 8, 2, 0.8, 0);
  const task: TaskInfo = { type: 'binary', labels: ['n', 'p'] };
  const src = matrixRows(features);
  const hyper = [{ lr: 0.1, weightDecay: 0 }, { lr: 0.01, weightDecay: 1e-3 }, { lr: 1e-4, weightDecay: 0 }];
  const common = { targets: probeTargets(task, labels), classes: 1, activation: 'sigmoid' as const, epochs: 3, batchSize: 32, seed: 7 };
  const [together] = await trainHeads({ ...common, sources: [src], heads: [hyper] });
  for (let h = 0; h < hyper.length; h++) {
    const [alone] = await trainHeads({ ...common, sources: [src], heads: [[hyper[h]]] });
    for (let d = 0; d < 8; d++) assert.ok(Math.abs(together.w[d * 3 + h] - alone.w[d]) < 1e-6, `head ${h} w[${d}]`);
    assert.ok(Math.abs(together.b[h] - alone.b[0]) < 1e-6);
  }
});

test('approaches sklearn LogisticRegression(C=1) on standardised features (binary and 3-class)', async () => {
  // sklearn minimises Σ loss + ½‖W‖²/C; our heads minimise mean loss + ½·wd·‖W‖², so wd = 1/(C·n).
  const cases = [
    { c: 2, ntr: 400, task: { type: 'binary', labels: ['n', 'p'] } as TaskInfo, auroc: 0.7322, acc: 0.685 },
    { c: 3, ntr: 600, task: { type: 'multi-class', labels: ['a', 'b', 'c'] } as TaskInfo, auroc: 0.727017, acc: 0.573333 },
  ];
  for (const k of cases) {
    // Reference numbers: classification_reference.py, "sklearn logreg … test auroc= … acc= …".
    const train = synth(k.ntr, 16, k.c, 0.6, 0);
    const test_ = synth(k.ntr / 2, 16, k.c, 0.6, 5000);
    const C = k.task.type === 'binary' ? 1 : k.c;
    const [bank] = await trainHeads({
      sources: [matrixRows(train.features)],
      heads: [[{ lr: 0.05, weightDecay: 1 / k.ntr }]],
      targets: probeTargets(k.task, train.labels),
      classes: C,
      activation: C === 1 ? 'sigmoid' : 'softmax',
      epochs: 60,
      batchSize: 32,
      seed: 3,
    });
    const m = evaluateClassification(k.task, test_.labels, await predictHeads(bank, matrixRows(test_.features)));
    assert.ok(Math.abs((m.auroc as number) - k.auroc) < 0.01, `${k.task.type} auroc ${m.auroc} vs sklearn ${k.auroc}`);
    assert.ok(Math.abs((m.accuracy as number) - k.acc) < 0.02, `${k.task.type} acc ${m.accuracy} vs sklearn ${k.acc}`);
  }
});

test('columnStats: population mean/std; constant columns get inv_std 1', () => {
  const src = matrixRows({ rows: 4, cols: 2, data: Float32Array.from([1, 5, 2, 5, 3, 5, 6, 5]) });
  const s = columnStats(src, 3);
  // column 0: mean 3, population variance (4+1+0+9)/4 = 3.5 → 1/√3.5 = 0.534522
  assert.ok(Math.abs(s.mean[0] - 3) < 1e-6 && Math.abs(s.invStd[0] - 0.534522) < 1e-6);
  assert.equal(s.mean[1], 5);
  assert.equal(s.invStd[1], 1);
});

test('columnStats over many blocks (rows swept four at a time, a remainder per block) equals a plain float64 reference', () => {
  const rows = 1031;
  const cols = 7;
  const data = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37) * 50 + (i % cols) * 1000);
  const s = columnStats(matrixRows({ rows, cols, data }), 250);
  for (let j = 0; j < cols; j++) {
    let sum = 0;
    for (let i = 0; i < rows; i++) sum += data[i * cols + j];
    const mean = sum / rows;
    let sq = 0;
    for (let i = 0; i < rows; i++) sq += (data[i * cols + j] - mean) ** 2;
    assert.equal(s.mean[j], Math.fround(mean), `mean of column ${j}`);
    assert.equal(s.invStd[j], Math.fround(1 / Math.sqrt(sq / rows)), `inv_std of column ${j}`);
  }
});

test('headColumns picks one head out of the concatenated block', () => {
  // 2 rows × (3 heads × 2 classes)
  const all = Float32Array.from([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]);
  assert.deepEqual(Array.from(headColumns(all, 2, 3, 2, 1)), [2, 3, 12, 13]);
});

test('headObjectives: mean cross-entropy + wd/2·‖W‖² per head, equal to a float64 reference from the predicted probabilities (sigmoid, multi-label, softmax; many blocks)', async () => {
  const { features, labels } = synth(50, 5, 3, 1.0, 3);
  const cases: { task: TaskInfo; C: number; activation: 'sigmoid' | 'softmax'; labels: Int32Array }[] = [
    { task: { type: 'binary', labels: ['n', 'p'] }, C: 1, activation: 'sigmoid', labels: labels.map((l) => (l === 2 ? 1 : 0)) },
    { task: { type: 'multi-label', labels: ['x', 'y'] }, C: 2, activation: 'sigmoid', labels: Int32Array.from(Array.from(labels).flatMap((l) => [l & 1, l >> 1])) },
    { task: { type: 'multi-class', labels: ['a', 'b', 'c'] }, C: 3, activation: 'softmax', labels },
  ];
  const hypers = [{ lr: 0.3, weightDecay: 0 }, { lr: 0.1, weightDecay: 0.05 }, { lr: 0.01, weightDecay: 1 }];
  for (const c of cases) {
    const targets = probeTargets(c.task, c.labels);
    const src = matrixRows(features);
    const [bank] = await trainHeads({ sources: [src], heads: [hypers], targets, classes: c.C, activation: c.activation, epochs: 4, batchSize: 16, seed: 2 });
    const got = await headObjectives(bank, src, targets, hypers.map((h) => h.weightDecay), 7);
    const p = await predictHeads(bank, src);
    const H = hypers.length;
    hypers.forEach((h, hi) => {
      let ce = 0;
      for (let i = 0; i < 50; i++) {
        for (let k = 0; k < c.C; k++) {
          const q = p[i * H * c.C + hi * c.C + k];
          const y = targets[i * c.C + k];
          ce -= c.activation === 'softmax' ? y * Math.log(q) : y * Math.log(q) + (1 - y) * Math.log(1 - q);
        }
      }
      let w2 = 0;
      for (let d = 0; d < 5; d++) for (let k = 0; k < c.C; k++) w2 += bank.w[d * H * c.C + hi * c.C + k] ** 2;
      const want = ce / 50 + 0.5 * h.weightDecay * w2;
      assert.ok(Math.abs(got[hi] - want) < 1e-5 * Math.max(1, want), `${c.task.type} head ${hi}: ${got[hi]} vs ${want}`);
    });
    assert.ok(got[2] > got[0], 'the heavily decayed, slowly trained head sits higher on its objective');
  }
});
