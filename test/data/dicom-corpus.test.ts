import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDicomFile, readDicomFile, readDicomSeries, surveyDicomFiles } from '../../src/data/dicom/index.js';
import type { Image2D } from '../../src/data/types.js';

// Real DICOM from ../shared (pydicom's test files, MONAI's CT series); read in place, skipped when absent.
// Expected values come from pydicom's own tests (test_numpy_pixel_data.py / test_rle_pixel_data.py) where
// cited, else were computed once with pydicom 2.3.1 (`apply_modality_lut(ds.pixel_array, ds)`).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = path.resolve(root, '../shared');
const pyd = path.join(shared, 'data/dicom/pydicom');
const monai = path.join(shared, 'data/dicom/monai-ct');
const skip = existsSync(pyd) ? false : `${pyd} not present`;
const f = (name: string) => path.join(pyd, name);

const px = (im: Image2D, r: number, c: number): number[] => {
  const i = (r * im.width + c) * im.channels;
  return Array.from(im.data.subarray(i, i + im.channels));
};
const row = (im: Image2D, r: number, c0: number, c1: number): number[] => Array.from({ length: c1 - c0 }, (_, k) => px(im, r, c0 + k)[0]);

test('corpus: every pydicom file loads or is rejected with a reason — none crash', { skip }, async () => {
  const files = readdirSync(pyd).filter((n) => statSync(path.join(pyd, n)).isFile()).sort().map(f);
  // 74 files at the top level (the 75th entry is the dicomdirtests/ folder).
  assert.equal(files.length, 74);
  const rows = await surveyDicomFiles(files);
  const by = (s: string) => rows.filter((r) => r.status === s);
  assert.deepEqual(by('crashed').map((r) => `${r.file}: ${r.detail}`), []);
  const status = Object.fromEntries(rows.map((r) => [path.basename(r.file), r]));
  for (const name of ['CT_small.dcm', 'MR_small_RLE.dcm', 'MR_small_jpeg_ls_lossless.dcm', 'MR_small_jp2klossless.dcm', 'SC_rgb_jpeg_gdcm.dcm', 'image_dfl.dcm', 'zipMR.gz', 'SC_rgb_jpeg.dcm']) {
    assert.equal(status[name].status, 'loaded', `${name}: ${status[name].detail}`);
  }
  const rejected: [string, RegExp][] = [
    ['MR_truncated.dcm', /MR_truncated\.dcm could not be parsed \(truncated or corrupt/],
    ['rtstruct.dcm', /no pixel data \(SOP class RT Structure Set Storage/],
    ['rtplan.dcm', /no pixel data \(SOP class RT Plan Storage/],
    ['test-SR.dcm', /no pixel data \(SOP class Comprehensive SR Storage/],
    ['waveform_ecg.dcm', /no pixel data \(SOP class 12-lead ECG Waveform Storage/],
    ['JPGExtended.dcm', /12-bit JPEG \(Process 4\) is not supported/],
    ['README.txt', /not a DICOM file/],
  ];
  for (const [name, re] of rejected) {
    assert.equal(status[name].status, 'rejected', name);
    assert.match(status[name].detail, re);
  }
  assert.ok(by('loaded').length >= 45, `loaded ${by('loaded').length}`);
});

test('CT_small: RescaleIntercept −1024 applied → HU; metadata', { skip }, async () => {
  const im = await readDicomFile(f('CT_small.dcm'));
  assert.equal(im.rescaleIntercept, -1024);
  assert.equal(im.rescaleSlope, 1);
  assert.equal(im.modality, 'CT');
  assert.equal(im.patientId, '1CT1');
  assert.deepEqual(im.imagePositionPatient, [-158.135803, -179.035797, -75.699997]);
  assert.deepEqual(im.pixelSpacing, [0.661468, 0.661468]);
  assert.equal(im.sliceThickness, 5);
  const fr = im.frames[0];
  // pydicom: pixel_array[0, :4] = 175, 180, 166, 143 (stored) → HU − 1024; HU[64, 60:64] = 1165, 1167, 1098, 999.
  assert.deepEqual(row(fr, 0, 0, 4), [-849, -844, -858, -881]);
  assert.deepEqual(row(fr, 64, 60, 64), [1165, 1167, 1098, 999]);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of fr.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  assert.deepEqual([min, max], [-896, 1167]);
  assert.ok(Math.abs(sum / fr.data.length - -119.0738525390625) < 1e-9);
});

test('MR_small: pydicom reference pixels; every other encoding of it decodes identically', { skip }, async () => {
  const ref = (await readDicomFile(f('MR_small.dcm'))).frames[0];
  // pydicom test_numpy_pixel_data.py::test_little_16bit_1sample_1frame
  assert.deepEqual(row(ref, 0, 31, 34), [422, 319, 361]);
  assert.deepEqual(row(ref, 31, 0, 3), [366, 363, 322]);
  assert.deepEqual(row(ref, 63, 61, 64), [1369, 1129, 862]);
  for (const name of ['MR_small_RLE.dcm', 'MR_small_jpeg_ls_lossless.dcm', 'MR_small_jp2klossless.dcm', 'MR_small_bigendian.dcm', 'MR_small_expb.dcm', 'MR_small_implicit.dcm', 'MR_small_padded.dcm', 'zipMR.gz']) {
    const other = (await readDicomFile(f(name))).frames[0];
    assert.deepEqual(Array.from(other.data), Array.from(ref.data), name);
  }
});

test('RGB: SC_rgb RLE 8/16/32-bit, 2-frame inversion, odd size, YBR_FULL_422 and JPEG colour', { skip }, async () => {
  // pydicom test_numpy_pixel_data.py::test_8bit_3sample_1frame (same values for the RLE copies in test_rle_pixel_data.py)
  const rows8 = [5, 15, 25, 35, 45, 55, 65, 75, 85, 95];
  const exp8 = [[255, 0, 0], [255, 128, 128], [0, 255, 0], [128, 255, 128], [0, 0, 255], [128, 128, 255], [0, 0, 0], [64, 64, 64], [192, 192, 192], [255, 255, 255]];
  const rle = await readDicomFile(f('SC_rgb_rle.dcm'));
  assert.equal(rle.outputPhotometric, 'RGB');
  assert.deepEqual(rows8.map((r) => px(rle.frames[0], r, 50)), exp8);
  const rle16 = await readDicomFile(f('SC_rgb_rle_16bit.dcm'));
  assert.deepEqual(px(rle16.frames[0], 15, 50), [65535, 32896, 32896]);
  assert.deepEqual(px(rle16.frames[0], 75, 50), [16448, 16448, 16448]);
  const rle32 = await readDicomFile(f('SC_rgb_rle_32bit.dcm'));
  assert.deepEqual(px(rle32.frames[0], 15, 50), [4294967295, 2155905152, 2155905152].map(Math.fround));
  const two = await readDicomFile(f('SC_rgb_rle_2frame.dcm'));
  assert.equal(two.frames.length, 2);
  assert.deepEqual(Array.from(two.frames[1].data, (v) => 255 - v), Array.from(two.frames[0].data));
  // pydicom test_8bit_3sample_1frame_odd_size
  const odd = await readDicomFile(f('SC_rgb_small_odd.dcm'));
  assert.deepEqual([0, 1, 2].map((r) => [0, 1, 2].map((c) => px(odd.frames[0], r, c))), [
    [[166, 141, 52], [166, 141, 52], [166, 141, 52]],
    [[63, 87, 176], [63, 87, 176], [63, 87, 176]],
    [[158, 158, 158], [158, 158, 158], [158, 158, 158]],
  ]);
  // JPEG lossless (Process 14 SV1, colour) is bit-identical to the RLE copy.
  const lossless = await readDicomFile(f('SC_rgb_jpeg_gdcm.dcm'));
  assert.deepEqual(Array.from(lossless.frames[0].data), Array.from(rle.frames[0].data));
  // Uncompressed YBR_FULL_422 and lossy JPEG encodings of the same bars: RGB within a few levels of the RLE original.
  for (const name of ['SC_ybr_full_422_uncompressed.dcm', 'SC_rgb_jpeg_dcmtk.dcm', 'SC_rgb_dcmtk_+eb+cy+np.dcm', 'SC_rgb_jpeg_gdcm.dcm', 'SC_rgb_jpeg_lossy_gdcm.dcm', 'SC_rgb_gdcm_KY.dcm']) {
    const im = await readDicomFile(f(name));
    assert.equal(im.outputPhotometric, 'RGB', name);
    rows8.forEach((r, k) => px(im.frames[0], r, 50).forEach((v, c) => assert.ok(Math.abs(v - exp8[k][c]) <= 6, `${name} row ${r}: ${px(im.frames[0], r, 50)} vs ${exp8[k]}`)));
  }
});

test('RT dose (32-bit, 15 frames) in implicit, big endian and RLE agree with pydicom; 1-bit SEG', { skip }, async () => {
  // pydicom test_numpy_pixel_data.py::test_little_32bit_1sample_15frame
  const dose = await readDicomFile(f('rtdose.dcm'));
  assert.equal(dose.frames.length, 15);
  assert.deepEqual(row(dose.frames[0], 0, 0, 3), [1249000, 1249000, 1250000]);
  assert.deepEqual(row(dose.frames[7], 0, 0, 3), [1253000, 1253000, 1249000]);
  assert.deepEqual(row(dose.frames[14], 9, 7, 10), [801000, 800000, 799000]);
  const lazy = await openDicomFile(f('rtdose_rle.dcm'));
  assert.equal(lazy.numberOfFrames, 15);
  assert.deepEqual(Array.from((await lazy.frame(14)).image.data), Array.from(dose.frames[14].data));
  await assert.rejects(lazy.frame(15), RangeError);
  for (const name of ['rtdose_expb.dcm', 'rtdose_rle.dcm']) {
    const other = await readDicomFile(f(name));
    other.frames.forEach((fr, i) => assert.deepEqual(Array.from(fr.data), Array.from(dose.frames[i].data), `${name} frame ${i}`));
  }
  // badVR.dcm (pydicom 2.3.1 fails on its malformed element) carries rtdose_1frame's pixels.
  const bad = await readDicomFile(f('badVR.dcm'));
  assert.deepEqual(Array.from(bad.frames[0].data), Array.from((await readDicomFile(f('rtdose_1frame.dcm'))).frames[0].data));
  const seg = await readDicomFile(f('liver_1frame.dcm'));
  const segBe = await readDicomFile(f('liver_expb_1frame.dcm'));
  // pydicom 2.3.1: pixel_array.sum() == 36233
  assert.equal(Array.from(seg.frames[0].data).reduce((s, v) => s + v, 0), 36233);
  assert.deepEqual(Array.from(segBe.frames[0].data), Array.from(seg.frames[0].data));
});

test('JPEG 2000: HU after rescale, pixel representation mismatch handled like pydicom', { skip }, async () => {
  // Values computed with pydicom 2.3.1 + Pillow/OpenJPEG.
  const j2ki = await readDicomFile(f('693_J2KI.dcm'));
  assert.deepEqual(row(j2ki.frames[0], 256, 250, 254), [32, 32, 32, 32]);
  const j2k = await readDicomFile(f('JPEG2000.dcm'));
  assert.deepEqual(row(j2k.frames[0], 400, 120, 124), [53, 56, 59, 61]);
  // GDCM's YBR_RCT J2K with a JP2 wrapper: grey background and pure red/green/blue text (pixel counts from this decode, checked visually).
  const gbr = (await readDicomFile(f('GDCMJ2K_TextGBR.dcm'))).frames[0];
  const counts = new Map<string, number>();
  for (let i = 0; i < gbr.data.length; i += 3) {
    const k = `${gbr.data[i]},${gbr.data[i + 1]},${gbr.data[i + 2]}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  assert.deepEqual(['128,128,128', '0,255,0', '0,0,255', '255,0,0'].map((k) => counts.get(k)), [145722, 5152, 4011, 2939]);
  const mismatch = (await readDicomFile(f('J2K_pixelrep_mismatch.dcm'))).frames[0].data;
  assert.deepEqual([Array.from(mismatch).reduce((a, b) => Math.min(a, b)), Array.from(mismatch).reduce((a, b) => Math.max(a, b))], [-2000, 1896]);
});

test('monai-ct: 4-slice series in position order with HU from pydicom', { skip: existsSync(monai) ? false : `${monai} not present` }, async () => {
  const vol = await readDicomSeries(monai);
  assert.equal(vol.depth, 4);
  assert.deepEqual([vol.width, vol.height], [16, 16]);
  // ImagePositionPatient z: 7106 −99.48, 7136 103.02, 7166 104.27, 7196 105.52.
  assert.deepEqual(vol.files.map((p) => path.basename(p)), ['7106', '7136', '7166', '7196']);
  // pydicom: per-slice HU sum and HU[8, 8]
  const sums = [-158395, 140192, 360990, 228448];
  const centre = [-972, 384, 1459, 954];
  for (let z = 0; z < 4; z++) {
    const sl = vol.data.subarray(z * 256, (z + 1) * 256);
    assert.equal(sl.reduce((s, v) => s + v, 0), sums[z], `slice ${z} sum`);
    assert.equal(sl[8 * 16 + 8], centre[z]);
  }
  assert.equal(vol.modality, 'CT');
  assert.deepEqual(vol.spacing.slice(0, 2), [0.488281, 0.488281]);
  // RAS affine: origin is the first slice's IPP (−125, −128.1, −99.48) with x, y negated.
  assert.deepEqual([vol.affine[3], vol.affine[7], vol.affine[11]], [125, 128.100006, -99.480003]);
  assert.match(vol.warnings.join(' '), /irregular slice spacing/);
  vol.slicePositions.forEach((p, i) => assert.ok(Math.abs(p - [-99.480003, 103.019997, 104.269997, 105.519997][i]) < 1e-6));
});
