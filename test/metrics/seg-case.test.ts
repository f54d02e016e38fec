import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caseOverlap } from '../../src/metrics/seg-case.js';
import { addOverlapCounts, emptyOverlapCounts } from '../../src/metrics/segmentation.js';

/** A 3-class case: class 1 overlaps partly, class 2 is absent from the truth but predicted once. */
function counts() {
  const truth = [0, 1, 1, 1, 0, 0, 0, 0];
  const pred = [0, 1, 1, 0, 1, 2, 0, 0];
  const c = emptyOverlapCounts(3);
  addOverlapCounts(c, pred, truth);
  return c;
}

test('per-case Dice, Jaccard and their mean, counted by hand', () => {
  const o = caseOverlap(counts(), 'exclude');
  // class 1: tp 2, fp 1, fn 1 → Dice 4/6, Jaccard 2/4
  assert.equal(o.dice[0], null, 'background is not scored');
  assert.ok(Math.abs((o.dice[1] as number) - 4 / 6) < 1e-12);
  assert.ok(Math.abs((o.iou[1] as number) - 0.5) < 1e-12);
  assert.ok(Math.abs((o.diceJaccard[1] as number) - (4 / 6 + 0.5) / 2) < 1e-12);
});

test('a class with empty truth is never Dice 1: left out (exclude) or 0 when predicted (penalise), and listed', () => {
  const ex = caseOverlap(counts(), 'exclude');
  assert.deepEqual(ex.emptyTruth, [2]);
  assert.equal(ex.dice[2], null);
  assert.equal(ex.meanDice, ex.dice[1], 'the mean runs over the scored classes only');
  const pen = caseOverlap(counts(), 'penalise');
  assert.equal(pen.dice[2], 0);
  assert.equal(pen.iou[2], 0);
  assert.ok(Math.abs((pen.meanDice as number) - 4 / 6 / 2) < 1e-12);
  // empty truth AND empty prediction: left out under both policies
  const c = emptyOverlapCounts(2);
  addOverlapCounts(c, [0, 0, 0], [0, 0, 0]);
  for (const policy of ['exclude', 'penalise'] as const) {
    const o = caseOverlap(c, policy);
    assert.equal(o.dice[1], null);
    assert.equal(o.meanDiceJaccard, null);
    assert.deepEqual(o.emptyTruth, [1]);
  }
});
