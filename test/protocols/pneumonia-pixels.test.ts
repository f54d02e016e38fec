import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openMedMNIST } from '../../src/data/medmnist/source.js';
import type { SplitSource } from '../../src/data/types.js';
import { evaluateClassification } from '../../src/metrics/evaluate-classification.js';
import { knnClassify } from '../../src/protocols/knn.js';
import type { Matrix } from '../../src/util/matrix.js';

// Real data: PneumoniaMNIST raw pixels (784-d, 0..255) used as features, so the kNN path is
// checked end to end on real labels without a backbone. Reference numbers from
// reference/classification_reference.py (scikit-learn 1.2.1 KNeighborsClassifier, cosine,
// weights exp((1-d)/0.07), k=20) on the same file.
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const npz = path.resolve(root, '../shared/data/medmnist/pneumoniamnist.npz');
const skip = existsSync(npz) ? false : `real data not present (${npz})`;

async function pixels(split: SplitSource): Promise<Matrix> {
  const first = await split.get(0);
  const d = first.image.data.length;
  const out = new Float32Array(split.size * d);
  for (let i = 0; i < split.size; i++) out.set((await split.get(i)).image.data, i * d);
  return { rows: split.size, cols: d, data: out };
}

test('PneumoniaMNIST pixels: weighted-cosine kNN k=20 matches scikit-learn', { skip }, async () => {
  const ds = await openMedMNIST(npz);
  const train = ds.splits.train!;
  const testSplit = ds.splits.test!;
  const scores = (await knnClassify({ train: { features: await pixels(train), labels: train.labels }, query: await pixels(testSplit), task: ds.task, k: [20] })).get(20)!;
  const m = evaluateClassification(ds.task, testSplit.labels, scores);
  assert.ok(Math.abs((m.auroc as number) - 0.911232) < 1e-4, `auroc ${m.auroc}`);
  assert.ok(Math.abs((m.accuracy as number) - 0.825321) < 1e-6, `accuracy ${m.accuracy}`);
  [1.0, 1.0, 0.950532, 0.050717, 1.0].forEach((v, i) => assert.ok(Math.abs(scores[i] - v) < 1e-4, `score ${i}: ${scores[i]} vs ${v}`));
});
