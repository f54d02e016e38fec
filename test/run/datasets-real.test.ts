/**
 * `medprobe data info` (describeMedicalFile) on the real files of ../shared; skips without it.
 * NIfTI reference values from nibabel 5.0 (`/usr/bin/python3`: nib.load(f).shape, header.get_zooms(),
 * aff2axcodes(affine), get_fdata().min()/max(), dataobj.slope):
 *   CT_AVM.nii.gz → (256, 242, 154), (0.71994257, 0.7209136, 1.0), RAS, 0.0 … 563.2000029087067, uint8, slope 2.208627462387085
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describeMedicalFile } from '../../src/data/volumes/info.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const shared = path.resolve(repo, '../shared');
const skip = existsSync(shared) ? false : `no ${shared} (real data lives beside the checkout)`;

const field = (info: Awaited<ReturnType<typeof describeMedicalFile>>, key: string) => info.fields.find(([k]) => k === key)?.[1];

test('CT_AVM.nii.gz: shape, spacing, orientation and scaled range match nibabel', { skip }, async () => {
  const info = await describeMedicalFile(path.join(shared, 'data/nifti/niivue/CT_AVM.nii.gz'));
  assert.equal(info.format, 'nifti');
  assert.match(field(info, 'format')!, /^NIfTI-1, uint8$/);
  assert.equal(field(info, 'shape (x × y × z)'), '256 × 242 × 154 as stored; 256 × 242 × 154 canonical RAS+');
  assert.equal(field(info, 'spacing'), '0.72 × 0.721 × 1 mm');
  assert.match(field(info, 'orientation')!, /^RAS as stored/);
  assert.equal(field(info, 'value range'), '0 … 563.2 (scl_slope 2.209, scl_inter 0)');
});

test('monai-ct: a 4-slice CT series in HU', { skip }, async () => {
  const info = await describeMedicalFile(path.join(shared, 'data/dicom/monai-ct'));
  assert.equal(info.format, 'dicom-series');
  assert.match(field(info, 'format')!, /^DICOM series, 4 slice file\(s\)/);
  assert.equal(field(info, 'modality'), 'CT');
  assert.match(field(info, 'shape (x × y × z)')!, /^16 × 16 × 4/);
  const [lo, hi] = field(info, 'HU range')!.split(' … ').map(Number);
  assert.ok(lo < -900 && hi > 1000, `HU ${lo} … ${hi}: air and bone`);
});
