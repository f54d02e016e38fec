import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readImage8 } from '../../src/data/segmentation/decode.js';
import { loadDrive } from '../../src/data/segmentation/drive.js';
import { loadNiftiPair } from '../../src/data/segmentation/nifti-pair.js';
import { MedprobeError } from '../../src/util/errors.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const shared = path.resolve(root, '../shared');
const drive = path.join(shared, 'data/drive');
const niivue = path.join(shared, 'data/nifti/niivue');

test('real DRIVE image 21 decodes like PIL', { skip: existsSync(drive) ? false : `no ${drive}` }, async () => {
  // Reference from PIL 9 / numpy: np.array(Image.open(f)) — vessel count, FOV count, pixel (y=300, x=200), channel sums.
  const im = await readImage8(path.join(drive, 'training/images/21_training.tif'));
  assert.deepEqual([im.width, im.height, im.channels], [565, 584, 3]);
  const o = (300 * 565 + 200) * 3;
  assert.deepEqual(Array.from(im.data.subarray(o, o + 3)), [252, 125, 74]);
  const sums = [0, 0, 0];
  for (let i = 0; i < im.data.length; i++) sums[i % 3] += im.data[i];
  assert.deepEqual(sums, [45774389, 27315295, 17944183]);
  const ds = await loadDrive(drive, 'training');
  assert.equal(ds.cases.length, 20);
  const c21 = ds.cases.find((c) => c.id === '21')!;
  assert.equal(c21.mask.reduce((s, v) => s + v, 0), 24658);
  assert.equal(c21.fov!.reduce((s, v) => s + v, 0), 225600);
});

test('PD25 subcortical labels are on another grid than the template; the exact sub-block crop recovers it', { skip: existsSync(niivue) ? false : `no ${niivue}` }, async () => {
  const img = path.join(niivue, 'PD25_PD25-fusion-template-1mm.nii.gz');
  const lab = path.join(niivue, 'PD25_PD25-subcortical-1mm.nii.gz');
  await assert.rejects(loadNiftiPair(img, lab), (e: unknown) => e instanceof MedprobeError && e.message.includes('69×64×46') && e.message.includes('156×192×165'));
  const pair = await loadNiftiPair(img, lab, { cropToLabels: true });
  // Template origin (-78, -113, -77) mm, labels (-34, -36, -18), 1 mm identity axes → offset (44, 77, 59) voxels.
  assert.deepEqual([pair.image.width, pair.image.height, pair.image.depth], [69, 64, 46]);
  assert.deepEqual(pair.values, Array.from({ length: 17 }, (_, i) => i));
});
