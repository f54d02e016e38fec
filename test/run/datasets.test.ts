/**
 * openSuiteDataset for folder and volumes entries, at the library level: the fingerprint follows
 * file contents and the split, DICOM series are reoriented to the same RAS+ voxels as NIfTI,
 * split policies (file, systematic) and the load report.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { DatasetEntrySchema } from '../../src/run/dataset-entries.js';
import { openSuiteDataset, openSuiteDatasetDetailed } from '../../src/run/datasets.js';
import { exportSplits } from '../../src/data/splits/file.js';
import { readListedVolume } from '../../src/data/volumes/source.js';
import { writeNifti } from '../../src/data/nifti/write.js';
import { ctSlice } from '../data/dicom-fixtures.js';

let dir: string;
const ctx = () => ({ baseDir: dir, cacheDir: path.join(dir, 'cache'), resultsDir: path.join(dir, 'results') });

function grey(v: number): Buffer {
  return PNG.sync.write({ width: 4, height: 4, data: Buffer.alloc(16, v) } as unknown as PNG, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

const folderEntry = (extra: Record<string, unknown> = {}) =>
  DatasetEntrySchema.parse({ source: 'folder', name: 'toy', root: 'imgs', csv: 'labels.csv', imageColumn: 'file', patientColumn: 'patient', labels: { kind: 'single', column: 'label' }, ...extra });

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-datasets-'));
  await fs.mkdir(path.join(dir, 'imgs'));
  const rows = ['file,label,patient'];
  for (let i = 0; i < 10; i++) {
    await fs.writeFile(path.join(dir, 'imgs', `i${i}.png`), grey(i * 10));
    rows.push(`i${i}.png,${i % 2},P${Math.floor(i / 2)}`);
  }
  await fs.writeFile(path.join(dir, 'imgs', 'labels.csv'), `${rows.join('\n')}\n`);
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('systematic policy: whole patients, the study counts; the load report records the method', async () => {
  const o = await openSuiteDatasetDetailed(folderEntry({ splits: { systematic: { val: 1, test: 2 } } }), ctx());
  // 5 patients in order P0..P4: test = systematicIndices(5, 2) = [0, 2] (np.arange(0,5,2.5).round() = [0, 2]),
  // then val = systematicIndices(3, 1) = [0] of the rest [P1, P3, P4] → P1
  assert.deepEqual(o.assignment, { train: ['i6.png', 'i7.png', 'i8.png', 'i9.png'], val: ['i2.png', 'i3.png'], test: ['i0.png', 'i1.png', 'i4.png', 'i5.png'] });
  assert.deepEqual(o.loadReport!.splitSizes, { train: 4, val: 2, test: 4 });
  assert.equal(o.loadReportFile, path.join(dir, 'results', '_datasets', 'toy', 'load-report.json'));
  assert.equal(JSON.parse(await fs.readFile(o.loadReportFile!, 'utf8')).split.systematic.test, 2);
});

test('fingerprint: stable on reopen, changes with a file’s bytes (same size) and with the split', async () => {
  const entry = folderEntry({ splits: { systematic: { val: 1, test: 2 } } });
  const a = await openSuiteDataset(entry, ctx());
  const b = await openSuiteDataset(entry, ctx());
  assert.equal(a.fingerprint, b.fingerprint);
  const other = await openSuiteDataset(folderEntry({ splits: { systematic: { val: 1, test: 1 } } }), ctx());
  assert.notEqual(other.fingerprint, a.fingerprint);
  const file = path.join(dir, 'imgs', 'i3.png');
  const before = await fs.readFile(file);
  const edited = grey(31);
  assert.equal(edited.length, before.length, 'same byte size: only a content hash can tell');
  await fs.writeFile(file, edited);
  // explicit mtimes: two writes within one clock tick must still look changed to the digest sidecar
  const t = Date.now() / 1000;
  await fs.utimes(file, t + 5, t + 5);
  try {
    const c = await openSuiteDataset(entry, ctx());
    assert.notEqual(c.fingerprint, a.fingerprint);
  } finally {
    await fs.writeFile(file, before);
    await fs.utimes(file, t + 10, t + 10);
  }
  assert.equal((await openSuiteDataset(entry, ctx())).fingerprint, a.fingerprint);
});

test('file policy: an exported split file is applied; one naming unknown ids is refused', async () => {
  await exportSplits(path.join(dir, 's.json'), 'toy', { train: ['i0.png', 'i1.png', 'i2.png', 'i3.png'], test: ['i4.png', 'i5.png'] });
  const ds = await openSuiteDataset(folderEntry({ splits: { file: 's.json' } }), ctx());
  assert.deepEqual(ds.splits.test!.ids, ['i4.png', 'i5.png']);
  assert.equal(ds.splits.val, undefined);
  await exportSplits(path.join(dir, 'bad.json'), 'toy', { train: ['i0.png', 'nope.png'], test: ['i4.png'] });
  await assert.rejects(openSuiteDataset(folderEntry({ splits: { file: 'bad.json' } }), ctx()), /names 1 sample\(s\) the dataset does not have: nope\.png/);
});

test('official policy without a split column is a one-line error', async () => {
  await assert.rejects(openSuiteDataset(folderEntry(), ctx()), /splits: official needs a split column/);
});

test('a DICOM series (LPS rows/columns) reads as the same RAS+ voxels as the NIfTI of that grid', async () => {
  const W = 3;
  const H = 2;
  const D = 2;
  const hu = Int16Array.from({ length: W * H * D }, (_, i) => i * 10 - 50);
  const folder = path.join(dir, 'series');
  await fs.mkdir(folder, { recursive: true });
  for (let z = 0; z < D; z++) {
    const px = Int16Array.from(hu.subarray(z * W * H, (z + 1) * W * H));
    await fs.writeFile(path.join(folder, `${z}.dcm`), ctSlice({ rows: H, cols: W, pixels: px, signed: true, spacing: [1, 1], position: [0, 0, 2 * z], instance: z + 1 }));
  }
  const dcm = await readListedVolume(folder, 'dicom-series');
  // DICOM voxel (c, r, z) sits at LPS (c, r, 2z) = RAS (−c, −r, 2z): the NIfTI affine of the same stored grid
  await writeNifti(path.join(dir, 'same.nii'), { kind: '3d', width: W, height: H, depth: D, data: hu }, [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]);
  const nii = await readListedVolume(path.join(dir, 'same.nii'), 'nifti');
  assert.deepEqual([dcm.width, dcm.height, dcm.depth], [W, H, D]);
  assert.deepEqual(Array.from(dcm.data), Array.from(nii.data));
  assert.deepEqual(dcm.affine, nii.affine);
  // hand-worked: canonical (0,0,0) is the stored voxel (c=2, r=1, z=0) → hu[2 + 3·1] = 5·10 − 50 = 0
  assert.equal(dcm.data[0], 0);
});
