/** Hints that name the real cause: diverged heads are blamed on the learning rate, not on the val split. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestCandidate } from '../../src/protocols/select.js';

const line = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { oneLine(): string }).oneLine();
  }
  throw new Error('did not throw');
};

test('no selectable candidate: NaN scores point at the learning rate, undefined ones at the val split', () => {
  const diverged = line(() => bestCandidate([{ params: { lr: 10 }, score: NaN }, { params: { lr: 1 }, score: NaN }], 'toy/val', 'auroc'));
  assert.match(diverged, /auroc is NaN \(diverged\) for 2 and undefined for 0 candidate\(s\).* — the heads diverged: lower the learning rates/);
  const undefinedMetric = line(() => bestCandidate([{ params: { k: 3 }, score: null }], 'toy/val', 'auroc'));
  assert.match(undefinedMetric, /auroc is undefined for all 1 candidate\(s\).* — the validation split needs both outcomes/);
});
