import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanSd } from '../../src/metrics/summary.js';

test('meanSd uses the sample (n − 1) standard deviation', () => {
  // [0.9, 0.8, 1.0]: mean 0.9, deviations 0, −0.1, 0.1 → Σ 0.02 / 2 → sd 0.1.
  // numpy.std([0.9, 0.8, 1.0], ddof=1) = 0.09999999999999998
  const r = meanSd([0.9, 0.8, 1.0]);
  assert.ok(Math.abs(r.mean! - 0.9) < 1e-15);
  assert.ok(Math.abs(r.sd! - 0.1) < 1e-15);
  assert.equal(r.n, 3);
});

test('meanSd leaves out undefined runs and says how many entered', () => {
  // [2, null, 4, NaN] → [2, 4]: mean 3, sd sqrt(((−1)² + 1²) / 1) = √2
  const r = meanSd([2, null, 4, NaN]);
  assert.equal(r.mean, 3);
  assert.equal(r.sd, Math.SQRT2);
  assert.equal(r.n, 2);
  assert.deepEqual(meanSd([5]), { mean: 5, sd: null, n: 1 });
  assert.deepEqual(meanSd([]), { mean: null, sd: null, n: 0 });
  assert.deepEqual(meanSd(Float64Array.from([1, 1, 1])), { mean: 1, sd: 0, n: 3 });
});

test('meanSd stays accurate for tightly clustered values', () => {
  // 1e9 + {1, 2, 3}: sd exactly 1; the one-pass Σx² − n·mean² form would lose it to cancellation.
  const r = meanSd([1e9 + 1, 1e9 + 2, 1e9 + 3]);
  assert.equal(r.sd, 1);
});
