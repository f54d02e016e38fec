/**
 * The registry loaders on the real study samples of ../shared/data/study (skipped without it).
 * Expected numbers come from an independent reader (scripts/study-datasets-check.py: nibabel,
 * h5py, skimage); docs/results/study-datasets.md records both sides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { doctorDataset, registryEntry } from '../../src/data/registry/index.js';
import type { NiftiSegPair } from '../../src/data/segmentation/nifti-pair.js';
import { splitContentHash } from '../../src/data/splits/file.js';
import { MRI_PERCENTILES, volumeTo255 } from '../../src/protocols/segmentation/volume-slices.js';

const STUDY = path.resolve(import.meta.dirname, '../../../shared/data/study');
const skip = !existsSync(STUDY) && 'needs ../shared (real data)';
const HIP = path.join(STUDY, 'msd-hippocampus', 'Task04_Hippocampus');

const sum = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};

test('real MSD Hippocampus sample: 2 of 260 pairs, study split scaled, voxels, labels and the MRI rule match nibabel/numpy', { skip }, async () => {
  const l = await registryEntry('msd-hippocampus').segLoader!(HIP, { onError: 'skip' });
  assert.equal(l.report.rows, 260);
  assert.equal(l.report.used, 2);
  assert.equal(l.report.skipped.length, 258);
  assert.deepEqual(l.split.assignment, { train: ['hippocampus_003'], test: ['hippocampus_001'] });
  assert.equal(splitContentHash('msd-hippocampus', l.split.assignment), 'e2a386b83a9f78b138ce45dd3c070cd104da1a37c7398257cb74393cde90f8a6');
  const expected: Record<string, { shape: number[]; dtype: string; sum: number; labels: number[]; scaled: number }> = {
    hippocampus_001: { shape: [35, 51, 35], dtype: 'uint8', sum: 3968524, labels: [59527, 1324, 1624], scaled: 8513691.375 },
    hippocampus_003: { shape: [34, 52, 35], dtype: 'float32', sum: 29866089.86869049, labels: [58527, 1550, 1803], scaled: 8538353.845 },
  };
  for (const c of [...l.splits.train, ...l.splits.test]) {
    const p = (await c.load()) as NiftiSegPair;
    const e = expected[c.id];
    assert.deepEqual([p.image.width, p.image.height, p.image.depth], e.shape, c.id);
    assert.equal(p.image.header.datatype, e.dtype, c.id);
    assert.ok(Math.abs(sum(p.image.data) - e.sum) < 1e-6 * e.sum, `${c.id}: voxel sum ${sum(p.image.data)} vs nibabel ${e.sum}`);
    const counts = [0, 0, 0];
    for (const v of p.labels) counts[v]++;
    assert.deepEqual(counts, e.labels, c.id);
    const scaled = sum(volumeTo255(p.image, MRI_PERCENTILES));
    assert.ok(Math.abs(scaled - e.scaled) < 1e-6 * e.scaled, `${c.id}: 5–95th percentile → [0, 255] sum ${scaled} vs numpy ${e.scaled}`);
  }
});

test('real samples: data doctor opens each with its loader and reports the exact partial counts', { skip }, async () => {
  const cases: Array<[string, string, number, number]> = [
    ['msd-hippocampus', HIP, 260, 2],
    ['brain-tumor', path.join(STUDY, 'brain-tumor'), 2, 2],
    ['nih-chestxray14', path.join(STUDY, 'nih-chestxray14'), 85, 2],
    ['sars-cov-2-ct', path.join(STUDY, 'sars-cov-2-ct'), 4, 4],
  ];
  for (const [name, dir, rows, used] of cases) {
    const r = await doctorDataset(name, dir, { content: true });
    assert.equal(r.ok, true, `${name}: ${r.problems.join('; ')}`);
    assert.equal(r.content!.rows, rows, name);
    assert.equal(r.content!.used, used, name);
    assert.equal(r.content!.missing, rows - used, name);
    assert.ok(r.content!.opened.length > 0, name);
  }
});
