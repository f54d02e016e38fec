import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openMedMNIST } from '../../src/data/medmnist/source.js';
import type { SplitSource } from '../../src/data/types.js';
import { evaluateClassification } from '../../src/metrics/evaluate-classification.js';
import { knnClassify } from '../../src/protocols/knn.js';
import { aggregateSlices } from '../../src/protocols/volume.js';
import type { Matrix } from '../../src/util/matrix.js';

// Real 3D data: AdrenalMNIST3D volumes cut into their 28 axial slices, each slice's raw pixels
// (784-d) standing in for a slice embedding, pooled per volume by aggregateSlices('mean') and
// classified by kNN. Reference numbers from reference/classification_reference.py (numpy mean
// over slices, scikit-learn 1.2.1 weighted-cosine kNN k=20) on the same file.
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const npz = path.resolve(root, '../shared/data/medmnist/adrenalmnist3d.npz');
const skip = existsSync(npz) ? false : `real data not present (${npz})`;

async function volumeFeatures(split: SplitSource): Promise<Matrix> {
  const first = (await split.get(0)).image;
  assert.equal(first.kind, '3d');
  const depth = first.kind === '3d' ? first.depth : 0;
  const d = first.data.length / depth;
  const slices = new Float32Array(split.size * depth * d);
  const volumeIndex = new Int32Array(split.size * depth);
  for (let v = 0; v < split.size; v++) {
    slices.set((await split.get(v)).image.data, v * depth * d);
    volumeIndex.fill(v, v * depth, (v + 1) * depth);
  }
  return aggregateSlices({ rows: split.size * depth, cols: d, data: slices }, volumeIndex, 'mean');
}

test('AdrenalMNIST3D: slice features → mean per volume → kNN matches numpy + scikit-learn', { skip }, async () => {
  const ds = await openMedMNIST(npz);
  const train = await volumeFeatures(ds.splits.train!);
  const testFeatures = await volumeFeatures(ds.splits.test!);
  [27.321428, 45.535713, 72.85714, 18.214285].forEach((v, j) => assert.ok(Math.abs(testFeatures.data[404 + j] - v) < 1e-4, `volume 0 value ${404 + j}`));
  const scores = (await knnClassify({ train: { features: train, labels: ds.splits.train!.labels }, query: testFeatures, task: ds.task, k: [20] })).get(20)!;
  const m = evaluateClassification(ds.task, ds.splits.test!.labels, scores);
  assert.ok(Math.abs((m.auroc as number) - 0.641415) < 1e-4, `auroc ${m.auroc}`);
  assert.ok(Math.abs((m.accuracy as number) - 0.748322) < 1e-6, `accuracy ${m.accuracy}`);
  [0.448692, 0.440536, 0.28301, 0.271631, 0.293013].forEach((v, i) => assert.ok(Math.abs(scores[i] - v) < 1e-4, `score ${i}: ${scores[i]} vs ${v}`));
});
