import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatasetSource, SplitSource, TaskInfo } from '../../src/data/types.js';
import { assertUsableSplits } from '../../src/data/splits/usable.js';

function split(labels: number[]): SplitSource {
  return { size: labels.length, labels: Int32Array.from(labels), ids: labels.map((_, i) => `s${i}`), get: () => Promise.reject(new Error('no images here')) };
}
function dataset(file: string, splits: Record<string, number[]>, task: TaskInfo = { type: 'binary', labels: ['normal', 'pneumonia'] }): DatasetSource {
  return { name: 'toy', task, dims: 2, fingerprint: 'x', files: [file, '/data'], splits: Object.fromEntries(Object.entries(splits).map(([k, v]) => [k, split(v)])) };
}

test('an empty split is refused naming the file it came from and the fix', () => {
  assert.throws(() => assertUsableSplits(dataset('/d/toy.npz', { train: [0, 1], val: [0, 1], test: [] })), (e: Error & { oneLine(): string }) => {
    assert.match(e.oneLine(), /^\/d\/toy\.npz: the test split of toy has 0 samples — .*medprobe data pull toy/);
    return true;
  });
  assert.throws(() => assertUsableSplits(dataset('/d/labels.csv', { train: [], val: [0, 1], test: [0, 1] })), /labels\.csv: the train split of toy has 0 samples/);
});

test('one class in train or val is refused naming the CSV; test may hold one class; multi-label is left to the protocols', () => {
  assert.throws(() => assertUsableSplits(dataset('/d/labels.csv', { train: [0, 0, 0], val: [0, 1], test: [0, 1] })), (e: Error & { oneLine(): string }) => {
    assert.match(e.oneLine(), /^\/d\/labels\.csv: the train split of toy has one class only \('normal', 3 samples\) — .*label column of labels\.csv/);
    return true;
  });
  assert.throws(() => assertUsableSplits(dataset('/d/labels.csv', { train: [0, 1], val: [1, 1], test: [0, 1] })), /val split of toy has one class only \('pneumonia'/);
  assert.doesNotThrow(() => assertUsableSplits(dataset('/d/labels.csv', { train: [0, 1], val: [0, 1], test: [1, 1] })));
  assert.doesNotThrow(() => assertUsableSplits(dataset('/d/labels.csv', { train: [0, 0], val: [0, 0], test: [0, 0] }, { type: 'multi-label', labels: ['a', 'b'] })));
});
