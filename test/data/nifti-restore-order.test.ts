/**
 * restoreSourceOrder undoes readNifti's RAS+ reorientation: volumes stored in permuted/flipped
 * orientations, read canonically and put back, equal the file's voxels as stored (read with
 * canonical: false), so a prediction computed on the RAS+ copy can be written on the file's grid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readNifti, restoreSourceOrder, writeNifti } from '../../src/data/nifti/index.js';

const AFFINES: Record<string, number[]> = {
  RAS: [2, 0, 0, 1, 0, 3, 0, 2, 0, 0, 4, 3, 0, 0, 0, 1],
  LAS: [-2, 0, 0, 30, 0, 3, 0, 2, 0, 0, 4, 3, 0, 0, 0, 1],
  // voxel axis 0 → S, 1 → L, 2 → P: a permutation with two flips
  SLP: [0, -3, 0, 20, 0, 0, -4, 40, 2, 0, 0, -5, 0, 0, 0, 1],
  PIR: [0, 0, 4, -9, -2, 0, 0, 11, 0, -3, 0, 6, 0, 0, 0, 1],
};

test('restoreSourceOrder puts canonically read voxels back in the stored order, for permuted and flipped grids', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-restore-'));
  try {
    const [w, h, d] = [5, 4, 3];
    const stored = Uint8Array.from({ length: w * h * d }, (_, i) => i % 251);
    for (const [name, affine] of Object.entries(AFFINES)) {
      const file = path.join(dir, `${name}.nii.gz`);
      await writeNifti(file, { kind: '3d', width: w, height: h, depth: d, data: stored }, affine);
      const asStored = await readNifti(file, { canonical: false });
      const canonical = await readNifti(file);
      assert.equal(canonical.sourceOrientation, name);
      assert.deepEqual(canonical.sourceShape, [w, h, d]);
      const back = restoreSourceOrder(canonical.data as Uint8Array, canonical.sourceShape, canonical.reorientation, (n) => new Uint8Array(n));
      assert.deepEqual(Array.from(back), Array.from(asStored.data), name);
      assert.deepEqual(Array.from(back), Array.from(stored), name);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
