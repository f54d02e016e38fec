import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMedMNIST } from '../../src/data/medmnist/source.js';
import { medmnistFile, medmnistInfo } from '../../src/data/medmnist/registry.js';
import { hashFile } from '../../src/util/hash.js';

// Real MedMNIST files in ../shared (read-only, never copied into the repo); skipped when absent.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = path.join(path.resolve(root, '../shared'), 'data/medmnist');

// Reference sums computed once with numpy 2.4.6: for each split s,
// (d[s+'_images'].astype(np.int64).sum(), d[s+'_labels'].sum(), d[s+'_images'][-1].astype(np.int64).sum()).
const cases = [
  {
    file: 'pneumoniamnist.npz', name: 'pneumoniamnist', size: 28 as const, counts: [4708, 524, 624], dims: 2,
    numpy: { train: [538305934, 3494, 114309], val: [59624090, 389, 120380], test: [70355184, 390, 118026] },
  },
  {
    file: 'adrenalmnist3d.npz', name: 'adrenalmnist3d', size: 28 as const, counts: [1188, 98, 298], dims: 3,
    numpy: { train: [105033735, 259, 67320], val: [8922960, 22, 85935], test: [26407545, 69, 97155] },
  },
];

const sum = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};

for (const c of cases) {
  const file = path.join(dataDir, c.file);
  test(`real ${c.file}: MD5 matches the registry, splits and labels as published`, { skip: existsSync(file) ? false : `${file} not present` }, async () => {
    assert.equal(await hashFile(file, 'md5'), medmnistFile(c.name, c.size).md5);
    const ds = await openMedMNIST(file);
    assert.equal(ds.name, c.name);
    assert.equal(ds.dims, c.dims);
    const info = medmnistInfo(c.name);
    const counts = [ds.splits.train!.size, ds.splits.val!.size, ds.splits.test!.size];
    assert.deepEqual(counts, c.counts);
    assert.deepEqual(counts, [info.nSamples.train, info.nSamples.val, info.nSamples.test]);
    for (const split of ['train', 'val', 'test'] as const) {
      const labels = ds.splits[split]!.labels;
      const seen = new Set(labels);
      // Binary tasks: both classes occur in every split, nothing else does.
      assert.deepEqual([...seen].sort(), [0, 1], `${split} labels`);
      const last = await ds.splits[split]!.get(labels.length - 1);
      const edge = c.dims === 2 ? 28 * 28 : 28 ** 3;
      assert.equal(last.image.data.length, edge);
      const [pixelSum, positives, lastSum] = c.numpy[split];
      const first = await ds.splits[split]!.get(0);
      // All images of a split are views into one array: the whole split from the first view's buffer.
      const all = new Uint8Array(first.image.data.buffer, first.image.data.byteOffset, labels.length * edge);
      assert.equal(sum(all), pixelSum, `${split} pixel sum`);
      assert.equal(sum(labels), positives, `${split} positives`);
      assert.equal(sum(last.image.data), lastSum, `${split} last image`);
    }
  });
}

test('every MedMNIST file in ../shared has the MD5 that info.py publishes', { skip: existsSync(dataDir) ? false : `${dataDir} not present` }, async () => {
  const { readdirSync } = await import('node:fs');
  const { parseMedMNISTFileName } = await import('../../src/data/medmnist/registry.js');
  const files = readdirSync(dataDir).filter((f) => f.endsWith('.npz'));
  assert.ok(files.length > 0);
  for (const f of files) {
    const parsed = parseMedMNISTFileName(f);
    assert.ok(parsed, `${f} is a MedMNIST file name`);
    assert.equal(await hashFile(path.join(dataDir, f), 'md5'), medmnistFile(parsed.name, parsed.size).md5, f);
  }
});
