import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateSlices, centralSliceIndices, orthogonalViewFeatures, paddingSliceMask } from '../../src/protocols/volume.js';
import { matrix } from '../../src/util/matrix.js';
import { MedprobeError } from '../../src/util/errors.js';

// 5 slices × 2-d features; slices 0,1,4 belong to volume 0, slices 2,3 to volume 1.
const slices = matrix(5, 2, Float32Array.from([1, 10, 3, -2, 5, 5, 7, 1, 2, 4]));
const vol = [0, 0, 1, 1, 0];

test('mean and max per volume (hand-computed)', () => {
  // volume 0: rows (1,10) (3,-2) (2,4) → mean (2, 4), max (3, 10); volume 1: (5,5) (7,1) → mean (6,3), max (7,5)
  assert.deepEqual(Array.from(aggregateSlices(slices, vol, 'mean').data), [2, 4, 6, 3]);
  assert.deepEqual(Array.from(aggregateSlices(slices, vol, 'max').data), [3, 10, 7, 5]);
});

test('padding slices excluded by mask', () => {
  // Slice mean intensities; threshold 0.1 drops slices 1 and 3.
  const keep = paddingSliceMask([0.5, 0.01, 0.3, 0.0, 0.2], 0.1);
  assert.deepEqual(Array.from(keep), [1, 0, 1, 0, 1]);
  // volume 0 keeps (1,10) (2,4) → (1.5, 7); volume 1 keeps (5,5)
  assert.deepEqual(Array.from(aggregateSlices(slices, vol, 'mean', { keep }).data), [1.5, 7, 5, 5]);
});

test('a volume with every slice masked is an error naming it', () => {
  const keep = Uint8Array.from([1, 1, 0, 0, 1]);
  assert.throws(
    () => aggregateSlices(slices, vol, 'mean', { keep, volumeIds: ['caseA', 'caseB'] }),
    (e: unknown) => e instanceof MedprobeError && /1 volume\(s\) have no non-padding slices to aggregate: caseB/.test(e.message),
  );
  assert.throws(() => aggregateSlices(slices, vol, 'mean', { volumes: 3 }), /#2/);
});

test('2.5D: central slices and [axial | coronal | sagittal] concatenation', () => {
  assert.deepEqual(centralSliceIndices(28, 28, 27), { axial: 14, coronal: 14, sagittal: 13 });
  const a = matrix(2, 1, Float32Array.from([1, 2]));
  const c = matrix(2, 2, Float32Array.from([3, 4, 5, 6]));
  const s = matrix(2, 1, Float32Array.from([7, 8]));
  const m = orthogonalViewFeatures({ axial: a, coronal: c, sagittal: s });
  assert.equal(m.cols, 4);
  assert.deepEqual(Array.from(m.data), [1, 3, 4, 7, 2, 5, 6, 8]);
});
