import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knnClassify, runKnnProtocol, voteScores } from '../../src/protocols/knn.js';
import { matrix } from '../../src/util/matrix.js';
import { MedprobeError } from '../../src/util/errors.js';
import type { TaskInfo } from '../../src/data/types.js';
import { synth } from './synth.js';

const three: TaskInfo = { type: 'multi-class', labels: ['a', 'b', 'c'] };
const binary: TaskInfo = { type: 'binary', labels: ['neg', 'pos'] };

function close(actual: Float32Array, expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

test('hand-worked: weights exp(sim/T), vote shares', async () => {
  // Bank (2-D): a=(1,0) class 0, b=(0,1) class 1, c=(1,1) class 1, d=(-1,0) class 0.
  // Query (2,0): cosines a 1, c 1/√2, b 0, d −1. k=2, T=1:
  // w_a = e^1, w_c = e^{0.7071}; P(class 0) = e / (e + e^0.7071) = 2.718282 / (2.718282 + 2.028115) = 0.572704,
  // so the binary score P(class 1) = 0.427296.
  // k=3 adds b (w = e^0 = 1): P(0) = 2.718282 / 5.746397 = 0.473041, P(1) = 0.526959.
  const bank = matrix(4, 2, Float32Array.from([1, 0, 0, 1, 1, 1, -1, 0]));
  const train = { features: bank, labels: Int32Array.from([0, 1, 1, 0]) };
  const out = await knnClassify({ train, query: matrix(1, 2, Float32Array.from([2, 0])), task: binary, k: [2, 3], temperature: 1 });
  close(out.get(2)!, [0.427296], 1e-5, 'k=2');
  close(out.get(3)!, [0.526959], 1e-5, 'k=3');
  const mc = await knnClassify({ train, query: matrix(1, 2, Float32Array.from([2, 0])), task: { type: 'multi-class', labels: ['x', 'y'] }, k: [3], temperature: 1 });
  close(mc.get(3)!, [0.473041, 0.526959], 1e-5, 'multi-class k=3');
});

test('matches sklearn KNeighborsClassifier(cosine, weights=exp((1-d)/T)) predict_proba', async () => {
  const train = synth(60, 4, 3, 1.0, 0);
  const query = synth(8, 4, 3, 1.0, 1000).features;
  const out = await knnClassify({ train, query, task: three, k: [5, 60] });
  // From test/protocols/reference/classification_reference.py (scikit-learn 1.2.1), rounded to 6 places.
  close(out.get(5)!, [0.0, 0.103039, 0.896961, 0.135037, 0.770085, 0.094878, 0.604411, 0.346586, 0.049003, 0.011832, 0.898708, 0.08946, 0.0, 0.274316, 0.725684, 0.636374, 0.363626, 0.0, 0.449139, 0.550861, 0.0, 0.351347, 0.0, 0.648653], 2e-5, 'k=5');
  close(out.get(60)!, [2.7e-5, 0.11125, 0.888723, 0.157183, 0.710144, 0.132673, 0.568539, 0.33777, 0.093691, 0.023001, 0.883193, 0.093806, 0.034587, 0.266802, 0.698611, 0.640624, 0.342339, 0.017037, 0.412914, 0.538589, 0.048497, 0.353093, 0.004473, 0.642434], 2e-5, 'k=60');
});

test('k beyond the bank uses the whole bank; multi-label gives weighted label fractions', async () => {
  const task: TaskInfo = { type: 'multi-label', labels: ['x', 'y'] };
  // Query (1,0): sims a=(1,0) 1 [x], b=(0,1) 0 [x,y]. T=1: w = e, 1 → x: 1, y: 1/(e+1) = 0.268941.
  const train = { features: matrix(2, 2, Float32Array.from([1, 0, 0, 1])), labels: Int32Array.from([1, 0, 1, 1]) };
  const out = await knnClassify({ train, query: matrix(1, 2, Float32Array.from([1, 0])), task, k: [1, 50], temperature: 1 });
  close(out.get(1)!, [1, 0], 1e-6, 'k=1');
  close(out.get(50)!, [1, 0.268941], 1e-5, 'k=50 (clipped to 2)');
});

test('small temperatures do not overflow', async () => {
  const nb = { rows: 1, k: 2, indices: Int32Array.from([0, 1]), sims: Float32Array.from([1, 0.5]) };
  const s = voteScores(nb, Int32Array.from([0, 1]), binary, [2], 1e-4).get(2)!;
  assert.ok(Number.isFinite(s[0]) && s[0] < 1e-6, `got ${s[0]}`);
});

test('protocol: k chosen on val, candidates listed ascending, train bank', async () => {
  const train = synth(120, 6, 2, 1.2, 0);
  const val = synth(40, 6, 2, 1.2, 300);
  const test_ = synth(40, 6, 2, 1.2, 600);
  const out = await runKnnProtocol({ train, val, test: test_, task: binary, kGrid: [200, 10, 20] });
  assert.deepEqual(out.candidates.map((c) => c.params.k), [10, 20, 200]);
  assert.equal(out.candidates[2].params.kEffective, 120);
  const best = Math.max(...out.candidates.map((c) => c.score as number));
  const firstBest = out.candidates.find((c) => c.score === best)!;
  assert.equal(out.chosen.k, firstBest.params.k, 'ties go to the smaller k');
  assert.equal(out.config.bank, 'train');
  const direct = (await knnClassify({ train, query: test_.features, task: binary, k: [out.chosen.k as number] })).get(out.chosen.k as number)!;
  assert.deepEqual(out.testScores, direct);
  assert.equal(out.testScores.length, 40);
});

test('bad input: one-class train split, NaN features, bad k', async () => {
  const ok = synth(20, 3, 2, 1, 0);
  const oneClass = { features: ok.features, labels: new Int32Array(20) };
  await assert.rejects(runKnnProtocol({ dataset: 'toy', train: oneClass, val: ok, test: ok, task: binary }), (e: unknown) => e instanceof MedprobeError && /toy\/train: only one class/.test(e.message));
  const bad = new Float32Array(ok.features.data);
  bad[3 * 3 + 1] = NaN;
  bad[7 * 3] = Infinity;
  const ids = Array.from({ length: 20 }, (_, i) => `img${i}`);
  await assert.rejects(
    runKnnProtocol({ dataset: 'toy', train: ok, val: { features: matrix(20, 3, bad), labels: ok.labels, ids }, test: ok, task: binary }),
    (e: unknown) => e instanceof MedprobeError && /toy\/val: 2 of 20 samples have NaN\/Inf features: img3, img7/.test(e.message),
  );
  await assert.rejects(runKnnProtocol({ train: ok, val: ok, test: ok, task: binary, kGrid: [0] }), /positive integer/);
  await assert.rejects(runKnnProtocol({ train: ok, val: ok, test: ok, task: binary, kGrid: [5, 5] }), /duplicates/);
});
