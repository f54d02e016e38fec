import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mlknnClassify, runMlKnnProtocol } from '../../src/protocols/mlknn.js';
import { matrix } from '../../src/util/matrix.js';
import { MedprobeError } from '../../src/util/errors.js';
import type { TaskInfo } from '../../src/data/types.js';
import { synth } from './synth.js';

const task: TaskInfo = { type: 'multi-label', labels: ['l1', 'l2'] };
const unit = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];

test('hand-worked ML-kNN, k=1, s=1', async () => {
  // Training points on the unit circle at A 0°, B 10°, C 25°, D 90°, E 100°.
  // Labels (l1, l2): A (1,0) B (1,0) C (0,1) D (0,1) E (1,1).
  // Nearest other point (cosine): A→B, B→A, C→B, D→E, E→D.
  //
  // l1: δ (neighbour has l1) A 1, B 1, C 1, D 1, E 0.
  //   positives A,B,E: c[0]=1 c[1]=2; negatives C,D: c'[0]=0 c'[1]=2
  //   prior (1+3)/(2+5) = 4/7; P(E0|H1) = (1+1)/(2+3) = 2/5, P(E1|H1) = 3/5; P(E0|H0) = 1/4, P(E1|H0) = 3/4
  // l2: δ A 0, B 0, C 0, D 1, E 1.
  //   positives C,D,E: c[0]=1 c[1]=2; negatives A,B: c'[0]=2 c'[1]=0
  //   prior 4/7; P(E0|H1) = 2/5, P(E1|H1) = 3/5; P(E0|H0) = 3/4, P(E1|H0) = 1/4
  // Query 3° (neighbour A = (1,0)):
  //   l1 j=1: (4/7·3/5) / (4/7·3/5 + 3/7·3/4) = 48/93 = 0.516129
  //   l2 j=0: (4/7·2/5) / (4/7·2/5 + 3/7·3/4) = 32/77 = 0.415584
  // Query 93° (neighbour D = (0,1)):
  //   l1 j=0: (4/7·2/5) / (4/7·2/5 + 3/7·1/4) = 32/47 = 0.680851
  //   l2 j=1: (4/7·3/5) / (4/7·3/5 + 3/7·1/4) = 48/63 = 0.761905
  const train = { features: matrix(5, 2, Float32Array.from([0, 10, 25, 90, 100].flatMap(unit))), labels: Int32Array.from([1, 0, 1, 0, 0, 1, 0, 1, 1, 1]) };
  const scores = await mlknnClassify({ train, query: matrix(2, 2, Float32Array.from([3, 93].flatMap(unit))), task, k: 1 });
  const expected = [48 / 93, 32 / 77, 32 / 47, 48 / 63];
  expected.forEach((v, i) => assert.ok(Math.abs(scores[i] - v) < 1e-6, `score ${i}: ${scores[i]} vs ${v}`));
});

test('protocol picks k on val and separates an easy multi-label task', async () => {
  const mk = (n: number, off: number) => {
    const s = synth(n, 4, 4, 0, off);
    const labels = new Int32Array(n * 2);
    for (let i = 0; i < n; i++) {
      labels[i * 2] = s.labels[i] & 1;
      labels[i * 2 + 1] = (s.labels[i] >> 1) & 1;
      s.features.data[i * 4] += labels[i * 2] ? 3 : -3;
      s.features.data[i * 4 + 1] += labels[i * 2 + 1] ? 3 : -3;
    }
    return { features: s.features, labels };
  };
  const out = await runMlKnnProtocol({ train: mk(120, 0), val: mk(40, 500), test: mk(40, 900), task, kGrid: [10, 3] });
  assert.deepEqual(out.candidates.map((c) => c.params.k), [3, 10]);
  assert.ok(out.candidates.every((c) => (c.score as number) > 0.95), JSON.stringify(out.candidates));
  assert.equal(out.testScores.length, 80);
});

test('ML-kNN rejects single-label tasks and k ≥ training size', async () => {
  const s = synth(10, 3, 2, 1, 0);
  await assert.rejects(mlknnClassify({ train: s, query: s.features, task: { type: 'binary', labels: ['a', 'b'] } }), (e: unknown) => e instanceof MedprobeError && /multi-label/.test(e.message));
  const ml = { features: s.features, labels: new Int32Array(20).map((_, i) => i % 2) };
  await assert.rejects(mlknnClassify({ train: ml, query: s.features, task, k: 10 }), /needs more than k/);
});
