import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readNifti } from '../../src/data/nifti/index.js';
import { percentiles } from '../../src/data/transforms/index.js';
import { prepareVolume } from '../../src/data/recipes/index.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const mr = path.resolve(repo, '../shared/data/nifti/niivue/MR_Gd.nii.gz');
const skip = existsSync(mr) ? false : `../shared not present (${mr}); real-MRI recipe check skipped`;

test('mri-default on a real MRI: per-volume 5/95th percentiles match numpy', { skip }, async () => {
  const vol = await readNifti(mr);
  // /usr/bin/python3, nibabel 5.0 + numpy: np.percentile(nib.load(f).get_fdata(), [5, 95]) → [0.0, 557.4823350906372]
  // (ours runs on the float32 voxels, hence the 1e-3 tolerance)
  const [p5, p95] = percentiles(vol.data, [5, 95]);
  assert.equal(p5, 0);
  assert.ok(Math.abs(p95 - 557.4823350906372) < 1e-3, `p95 ${p95}`);
  const spec = { size: 32, rescale: 1 / 255, mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number], resample: 'bilinear' as const };
  const pv = prepareVolume(vol, 'mri-default', spec, 'axial');
  assert.equal(pv.count, vol.depth);
  // after the per-volume clip + min-max every slice lies in [0, 1], and the volume reaches both ends
  let lo = Infinity;
  let hi = -Infinity;
  const out = new Float32Array(pv.floatsPerImage);
  for (let i = 0; i < pv.count; i += 8) {
    const s = pv.slice(i);
    for (const v of s.data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    pv.writeSlice(i, out);
    for (const v of out) assert.ok(v >= -1e-6 && v <= 1 + 1e-6);
  }
  assert.equal(lo, 0);
  assert.equal(hi, 1);
});
