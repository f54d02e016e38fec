import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { readNifti, readNiftiLabelMap, renderNiftiOverlay, reorientData, reorientGrid, sliceVolume, writeNifti } from '../../src/data/nifti/index.js';
import { MedprobeError } from '../../src/util/errors.js';

// Real NIfTI from ../shared, read in place; skipped when absent. Reference numbers were computed once
// with nibabel 5.0 on `nib.as_closest_canonical(nib.load(f))` (np.asanyarray(img.dataobj)).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nii = path.join(path.resolve(root, '../shared'), 'data/nifti');
const skip = existsSync(nii) ? false : `${nii} not present`;
const at = (v: { width: number; height: number; data: ArrayLike<number> }, x: number, y: number, z: number) => v.data[x + v.width * (y + v.height * z)];

test('CT_AVM: uint8 × scl_slope 2.2086 → values 0…563.2, exactly as nibabel reads them', { skip }, async () => {
  const ct = await readNifti(path.join(nii, 'niivue/CT_AVM.nii.gz'));
  assert.deepEqual([ct.width, ct.height, ct.depth], [256, 242, 154]);
  assert.equal(ct.header.datatype, 'uint8');
  assert.ok(Math.abs(ct.header.sclSlope - 2.208627462387085) < 1e-6);
  assert.equal(ct.sourceOrientation, 'RAS');
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let zeros = 0;
  for (const v of ct.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    if (v === 0) zeros++;
  }
  // This copy is not raw HU: it holds no air at −1000 (95.9 % of voxels are 0) and tops out at 563.2.
  assert.equal(min, 0);
  assert.ok(Math.abs(max - 563.2000029087067) < 1e-4);
  assert.ok(Math.abs(sum - 49383836.6660285) / 49383836.6660285 < 1e-6);
  assert.ok(Math.abs(zeros / ct.data.length - 0.9588813417341956) < 1e-9);
  assert.ok(Math.abs(at(ct, 102, 37, 57) - 35.33803939819336) < 1e-4);
  assert.ok(Math.abs(at(ct, 79, 172, 43) - 117.0572555065155) < 1e-4);
});

test('MR_Gd: oblique sform and scaled voxels match nibabel', { skip }, async () => {
  const mr = await readNifti(path.join(nii, 'niivue/MR_Gd.nii.gz'));
  assert.equal(mr.header.affineSource, 'sform');
  assert.ok(Math.abs(mr.affine[1] - 0.022) < 1e-3 && Math.abs(mr.affine[6] - 0.1121) < 1e-3);
  let sum = 0;
  for (const v of mr.data) sum += v;
  assert.ok(Math.abs(sum - 730302610.9216518) / 730302610.9216518 < 1e-6);
  assert.ok(Math.abs(at(mr, 88, 94, 72) - 518.5882186889648) < 1e-3);
});

test('anatomical.nii (big-endian int16, LAS) → RAS; label map aligned; overlay of the labelled slice', { skip }, async () => {
  const img = await readNifti(path.join(nii, 'monai/anatomical.nii'));
  assert.equal(img.sourceOrientation, 'LAS');
  assert.ok(img.data instanceof Int16Array);
  assert.deepEqual(img.affine, [2, 0, 0, -32, 0, 2, 0, -40, 0, 0, 2, -16, 0, 0, 0, 1]);
  // nibabel canonical voxels (x flipped relative to the file)
  assert.deepEqual([at(img, 16, 20, 12), at(img, 0, 0, 0), at(img, 32, 40, 24), at(img, 5, 30, 20)], [11881, 9595, 2743, 8928]);
  const labels = await readNiftiLabelMap(path.join(nii, 'monai/anatomical_label.nii.gz'), img);
  assert.equal(labels.header.affineSource, 'qform');
  const perSlice = Array.from({ length: labels.depth }, (_, z) => Array.from(sliceVolume(labels, 'axial', z).data).reduce((s, v) => s + v, 0));
  assert.equal(perSlice[12], 330);
  assert.equal(perSlice.reduce((a, b) => a + b, 0), 330);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-overlay-'));
  try {
    const out = path.join(dir, 'o.png');
    const info = await renderNiftiOverlay(path.join(nii, 'monai/anatomical.nii'), path.join(nii, 'monai/anatomical_label.nii.gz'), out);
    assert.deepEqual([info.index, info.width, info.height, info.labelledPixels], [12, 33, 41, 330]);
    const png = PNG.sync.read(await readFile(out));
    assert.deepEqual([png.width, png.height], [33 * 7, 41 * 7]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a reoriented copy of anatomical.nii reads back to the same canonical array and affine', { skip }, async () => {
  const img = await readNifti(path.join(nii, 'monai/anatomical.nii'));
  const shape: [number, number, number] = [img.width, img.height, img.depth];
  // Store the voxels as "SLP"-ish: file axis 0 ← canonical z, 1 ← canonical x reversed, 2 ← canonical y reversed.
  const r = { sourceAxis: [2, 0, 1] as [number, number, number], flip: [false, true, true] as [boolean, boolean, boolean] };
  const grid = reorientGrid(shape, img.affine, r);
  const data = reorientData(img.data as Int16Array, shape, r, (n) => new Int16Array(n));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-reorient-'));
  try {
    const f = path.join(dir, 'reoriented.nii.gz');
    await writeNifti(f, { kind: '3d', width: grid.shape[0], height: grid.shape[1], depth: grid.shape[2], data }, grid.affine);
    const back = await readNifti(f);
    assert.notEqual(back.sourceOrientation, 'RAS');
    assert.deepEqual([back.width, back.height, back.depth], shape);
    assert.deepEqual(back.affine, img.affine);
    assert.deepEqual(Array.from(back.data), Array.from(img.data));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('grids that differ are refused: MONAI moved copy vs original, PD25 subcortical vs template', { skip }, async () => {
  const img = await readNifti(path.join(nii, 'monai/anatomical.nii'));
  const moved = await readNifti(path.join(nii, 'monai/reoriented_anat_moved.nii'));
  // The "reoriented" MONAI copy is also resampled (4 mm, 21×26×22, shifted origin), so it is another grid.
  assert.deepEqual([moved.width, moved.height, moved.depth, ...moved.spacing], [21, 26, 22, 4, 4, 4]);
  await readNiftiLabelMap(path.join(nii, 'monai/reoriented_anat_moved_label.nii.gz'), moved);
  await assert.rejects(readNiftiLabelMap(path.join(nii, 'monai/reoriented_anat_moved_label.nii.gz'), img), (e) => e instanceof MedprobeError && /not on the grid of/.test(e.message));
  const template = await readNifti(path.join(nii, 'niivue/PD25_PD25-fusion-template-1mm.nii.gz'));
  await assert.rejects(
    readNiftiLabelMap(path.join(nii, 'niivue/PD25_PD25-subcortical-1mm.nii.gz'), template),
    (e) => e instanceof MedprobeError && /\(69×64×46, .*\) is not on the grid of .*\(156×192×165/.test(e.message),
  );
});
