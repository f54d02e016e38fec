import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { openMat, reverseAxes } from '../../src/data/mat/read.js';
import { medprobeError, withTempDir } from '../helpers/assertions.js';
import { matDouble, matText, matVar, writeMatV73 } from './mat-fixture.js';

test('reverseAxes turns HDF5 dims of a column-major MATLAB array into MATLAB row-major (2D and 3D)', () => {
  // MATLAB [[1 2 3];[4 5 6]] is stored column-major 1 4 2 5 3 6 with HDF5 dims [3, 2].
  assert.deepEqual(Array.from(reverseAxes(Int16Array.of(1, 4, 2, 5, 3, 6), [3, 2])), [1, 2, 3, 4, 5, 6]);
  // 3D: element (i, j, k) of HDF5 shape [2, 3, 4] goes to (k, j, i) of shape [4, 3, 2].
  const src = Float32Array.from({ length: 24 }, (_, n) => n);
  const out = reverseAxes(src, [2, 3, 4]);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) assert.equal(out[(k * 3 + j) * 2 + i], src[(i * 3 + j) * 4 + k]);
});

test('a v7.3 .mat written like MATLAB reads back in MATLAB orientation, with struct fields, text and scalars', async () => {
  await withTempDir('mat', async (dir) => {
    const file = path.join(dir, '7.mat');
    const image = Int16Array.from({ length: 3 * 5 }, (_, i) => i * 100 - 300); // 3 rows × 5 cols, not square: a transpose shows
    await writeMatV73(file, { 'cjdata/image': matVar([3, 5], image, 'int16'), 'cjdata/label': matDouble(3), 'cjdata/PID': matText('MR040') });
    const m = await openMat(file);
    try {
      assert.deepEqual(m.keys(), ['cjdata']);
      assert.deepEqual(m.keys('cjdata').sort(), ['PID', 'image', 'label']);
      const a = m.array('cjdata/image');
      assert.deepEqual(a.dims, [3, 5]);
      assert.equal(a.matlabClass, 'int16');
      assert.ok(a.data instanceof Int16Array);
      assert.deepEqual(Array.from(a.data), Array.from(image));
      assert.equal(m.scalar('cjdata/label'), 3);
      assert.equal(m.text('cjdata/PID'), 'MR040');
      assert.equal(m.has('cjdata/tumorMask'), false);
      assert.throws(() => m.array('cjdata/tumorMask'), medprobeError(/has no 'cjdata\/tumorMask'/, [file]));
    } finally {
      m.close();
    }
  });
});

test('not-a-.mat, MATLAB v5, and truncated v7.3 files each fail with one line naming the file', async () => {
  await withTempDir('mat-bad', async (dir) => {
    const fake = path.join(dir, 'fake.mat');
    await writeFile(fake, 'this is not a mat file');
    await assert.rejects(openMat(fake), medprobeError(/is not a MATLAB \.mat file/, [fake]));
    const v5 = path.join(dir, 'v5.mat');
    await writeFile(v5, Buffer.concat([Buffer.from('MATLAB 5.0 MAT-file, Platform: GLNXA64'.padEnd(128, ' ')), Buffer.alloc(64)]));
    await assert.rejects(openMat(v5), medprobeError(/MATLAB v5\.0 \.mat file, not v7\.3/, [v5]));
    const good = path.join(dir, 'good.mat');
    await writeMatV73(good, { 'cjdata/image': matVar([64, 64], new Int16Array(64 * 64).fill(7), 'int16') });
    const bytes = await readFile(good);
    const headerOnly = path.join(dir, 'header-only.mat');
    await writeFile(headerOnly, bytes.subarray(0, 512));
    await assert.rejects(openMat(headerOnly), medprobeError(/no HDF5 data after it/, [headerOnly]));
    const cut = path.join(dir, 'cut.mat');
    await writeFile(cut, bytes.subarray(0, 1024));
    await assert.rejects(async () => {
      const m = await openMat(cut);
      try {
        m.array('cjdata/image');
      } finally {
        m.close();
      }
    }, medprobeError(/cut\.mat/, [cut]));
    await assert.rejects(openMat(path.join(dir, 'absent.mat')), medprobeError(/\.mat file not found/));
  });
});

const REAL = path.resolve(import.meta.dirname, '../../../shared/data/study/brain-tumor/brainTumorDataPublic_1-766/1.mat');
test('real figshare 1.mat: pixels, label, PID and mask match h5py (transposed to MATLAB orientation)', { skip: !existsSync(REAL) && 'needs ../shared (real data)' }, async () => {
  // Reference values from /usr/bin/python3: f = h5py.File('1.mat'); im = f['cjdata/image'][()].T
  const m = await openMat(REAL);
  try {
    const im = m.array('cjdata/image');
    assert.deepEqual(im.dims, [512, 512]);
    assert.deepEqual(Array.from(im.data.subarray(200 * 512 + 100, 200 * 512 + 105)), [81, 84, 85, 358, 896]);
    let sum = 0;
    for (const v of im.data) sum += v;
    assert.equal(sum, 115730920);
    assert.equal(m.scalar('cjdata/label'), 1);
    assert.equal(m.text('cjdata/PID'), '100360');
    const mask = m.array('cjdata/tumorMask');
    assert.equal(mask.matlabClass, 'logical');
    assert.equal(Array.from(mask.data).reduce((a, b) => a + b, 0), 4569);
  } finally {
    m.close();
  }
});
