import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readDicomFile, readDicomSeries, decodeRleFrame } from '../../src/data/dicom/index.js';
import { MedprobeError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/random.js';
import { ctSlice, dicomFile, type El } from './dicom-fixtures.js';
import { withTempDir, medprobeError } from '../helpers/assertions.js';

const withDir = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('dicom', fn);

const medErr = (re: RegExp, file?: string) => medprobeError(re, file ? [file] : []);

test('signed 16-bit with slope/intercept → Float32 modality values, metadata read', async () => {
  await withDir(async (dir) => {
    const f = path.join(dir, 'ct.dcm');
    // Hand-worked: HU = stored × 2 − 1000.
    const stored = Int16Array.from([-5, 0, 7, 100, -32768, 32767]);
    await writeFile(f, ctSlice({ rows: 2, cols: 3, pixels: stored, signed: true, slope: 2, intercept: -1000, position: [-100, -50, 12.5], spacing: [0.5, 0.75] }));
    const im = await readDicomFile(f);
    assert.equal(im.rows, 2);
    assert.equal(im.columns, 3);
    assert.equal(im.pixelRepresentation, 1);
    assert.equal(im.modality, 'CT');
    assert.equal(im.patientId, 'P001');
    assert.deepEqual(im.imagePositionPatient, [-100, -50, 12.5]);
    assert.deepEqual(im.imageOrientationPatient, [1, 0, 0, 0, 1, 0]);
    assert.deepEqual(im.pixelSpacing, [0.5, 0.75]);
    assert.equal(im.sliceThickness, 2.5);
    assert.equal(im.windowCenter, 40);
    assert.equal(im.windowWidth, 400);
    assert.equal(im.frames.length, 1);
    const fr = im.frames[0];
    assert.equal(fr.width, 3);
    assert.equal(fr.height, 2);
    assert.ok(fr.data instanceof Float32Array);
    assert.deepEqual(Array.from(fr.data), [-1010, -1000, -986, -800, -66536, 64534]);
  });
});

test('MONOCHROME1 is mirrored within the BitsStored range; bits above BitsStored are masked', async () => {
  await withDir(async (dir) => {
    const f = path.join(dir, 'cr.dcm');
    // 12 bits stored, unsigned: range [0, 4095]; v' = 4095 − v. 4096 + 5 has bit 12 set (not stored) → 5.
    const stored = Uint16Array.from([0, 4095, 1000, 4096 + 5]);
    await writeFile(f, ctSlice({ rows: 2, cols: 2, pixels: stored, bitsStored: 12, photometric: 'MONOCHROME1' }));
    const im = await readDicomFile(f);
    assert.equal(im.photometricInterpretation, 'MONOCHROME1');
    assert.equal(im.outputPhotometric, 'MONOCHROME2');
    assert.equal(im.inverted, true);
    assert.deepEqual(Array.from(im.frames[0].data), [4095, 0, 3095, 4090]);
  });
});

test('big endian explicit VR reads the same values as little endian', async () => {
  await withDir(async (dir) => {
    const stored = Int16Array.from([-1024, 0, 1, 3071]);
    const le = path.join(dir, 'le.dcm');
    const be = path.join(dir, 'be.dcm');
    await writeFile(le, ctSlice({ rows: 2, cols: 2, pixels: stored, signed: true, intercept: -1024 }));
    await writeFile(be, ctSlice({ rows: 2, cols: 2, pixels: stored, signed: true, intercept: -1024, transferSyntax: '1.2.840.10008.1.2.2' }));
    const a = await readDicomFile(le);
    const b = await readDicomFile(be);
    assert.deepEqual(Array.from(b.frames[0].data), [-2048, -1024, -1023, 2047]);
    assert.deepEqual(Array.from(a.frames[0].data), Array.from(b.frames[0].data));
  });
});

test('series: shuffled files are sorted along the slice normal; spacing and RAS affine from positions', async () => {
  await withDir(async (dir) => {
    const px = (v: number) => Int16Array.from([v, v, v, v]);
    // Written in an order unrelated to position, with instance numbers that disagree too.
    const slices: [string, number, number][] = [
      ['c.dcm', 10, 1],
      ['a.dcm', 15, 3],
      ['b.dcm', 12.5, 2],
    ];
    for (const [name, z, v] of slices) {
      await writeFile(path.join(dir, name), ctSlice({ rows: 2, cols: 2, pixels: px(v), signed: true, position: [-100, -50, z], instance: 10 - v, spacing: [0.5, 0.75] }));
    }
    await writeFile(path.join(dir, 'notes.txt'), 'not dicom');
    const vol = await readDicomSeries(dir);
    assert.equal(vol.depth, 3);
    assert.deepEqual(Array.from(vol.data), [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    assert.deepEqual(vol.files.map((f) => path.basename(f)), ['c.dcm', 'b.dcm', 'a.dcm']);
    assert.deepEqual(vol.spacing, [0.75, 0.5, 2.5]);
    assert.deepEqual(vol.slicePositions, [10, 12.5, 15]);
    // LPS (x: col spacing along +x, y: row spacing along +y, z: +2.5 per slice, origin IPP) with x,y negated → RAS.
    assert.deepEqual(vol.affine, [-0.75, 0, 0, 100, 0, -0.5, 0, 50, 0, 0, 2.5, 10, 0, 0, 0, 1]);
    assert.deepEqual(vol.affineLps, [0.75, 0, 0, -100, 0, 0.5, 0, -50, 0, 0, 2.5, 10, 0, 0, 0, 1]);
    assert.equal(vol.skipped.length, 1);
    assert.match(vol.skipped[0].reason, /not a DICOM file/);
    assert.deepEqual(vol.warnings, []);
  });
});

test('series: sagittal slices sort by projection on the normal (row × column), not by raw z', async () => {
  await withDir(async (dir) => {
    // rows along +y, columns along −z: normal = (0,1,0) × (0,0,−1) = (−1,0,0); x = 5 projects to −5, so it comes first.
    const iop = [0, 1, 0, 0, 0, -1];
    for (const [name, x, v] of [['p.dcm', -5, 3], ['q.dcm', 5, 1], ['r.dcm', 0, 2]] as [string, number, number][]) {
      await writeFile(path.join(dir, name), ctSlice({ rows: 2, cols: 2, pixels: Int16Array.from([v, v, v, v]), position: [x, 0, 0], orientation: iop, spacing: [1, 1] }));
    }
    const vol = await readDicomSeries(dir);
    assert.deepEqual(Array.from(vol.data.filter((_, i) => i % 4 === 0)), [1, 2, 3]);
    // Third LPS column = actual step between slices: (−5, 0, 0).
    assert.deepEqual([vol.affineLps[2], vol.affineLps[6], vol.affineLps[10]], [-5, 0, 0]);
    assert.equal(vol.spacing[2], 5);
  });
});

test('series: several series → error naming them; choosing one works; mismatched grid → error', async () => {
  await withDir(async (dir) => {
    await writeFile(path.join(dir, '1.dcm'), ctSlice({ rows: 2, cols: 2, pixels: new Int16Array(4), position: [0, 0, 0], series: '1.2.3.100' }));
    await writeFile(path.join(dir, '2.dcm'), ctSlice({ rows: 2, cols: 2, pixels: new Int16Array(4), position: [0, 0, 1], series: '1.2.3.200' }));
    await assert.rejects(readDicomSeries(dir), medErr(/2 series: 1\.2\.3\.100 \(1 files, CT\); 1\.2\.3\.200/));
    const vol = await readDicomSeries(dir, { seriesInstanceUID: '1.2.3.200' });
    assert.equal(vol.depth, 1);
    assert.equal(vol.seriesInstanceUID, '1.2.3.200');
    await writeFile(path.join(dir, '3.dcm'), ctSlice({ rows: 3, cols: 2, pixels: new Int16Array(6), position: [0, 0, 2], series: '1.2.3.200' }));
    await assert.rejects(readDicomSeries(dir, { seriesInstanceUID: '1.2.3.200' }), medErr(/one series must share one grid/));
  });
});

test('rejections: empty, not DICOM, no pixel data (names the SOP class), unsupported syntax, truncated', async () => {
  await withDir(async (dir) => {
    const empty = path.join(dir, 'empty.dcm');
    await writeFile(empty, new Uint8Array(0));
    await assert.rejects(readDicomFile(empty), medErr(/not a DICOM file/, empty));

    const rtstruct = path.join(dir, 'rtstruct.dcm');
    const els: El[] = [{ tag: [0x0008, 0x0060], vr: 'CS', value: 'RTSTRUCT' }];
    await writeFile(rtstruct, dicomFile(els, { sopClass: '1.2.840.10008.5.1.4.1.1.481.3' }));
    await assert.rejects(readDicomFile(rtstruct), medErr(/has no pixel data \(SOP class RT Structure Set Storage, 1\.2\.840\.10008\.5\.1\.4\.1\.1\.481\.3\)/, rtstruct));

    const mpeg = path.join(dir, 'video.dcm');
    const imageEls: El[] = [
      { tag: [0x0028, 0x0002], vr: 'US', value: 1 },
      { tag: [0x0028, 0x0010], vr: 'US', value: 2 },
      { tag: [0x0028, 0x0011], vr: 'US', value: 2 },
      { tag: [0x0028, 0x0100], vr: 'US', value: 8 },
    ];
    await writeFile(mpeg, dicomFile(imageEls, { transferSyntax: '1.2.840.10008.1.2.4.100', encapsulatedPixels: [new Uint8Array([1, 2, 3, 4])] }));
    await assert.rejects(readDicomFile(mpeg), medErr(new RegExp(`unsupported transfer syntax 1\\.2\\.840\\.10008\\.1\\.2\\.4\\.100 \\(MPEG2 Main Profile / Main Level\\) in ${mpeg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`)));

    const full = ctSlice({ rows: 4, cols: 4, pixels: new Int16Array(16) });
    const cut = path.join(dir, 'cut.dcm');
    await writeFile(cut, full.subarray(0, full.length - 10));
    await assert.rejects(readDicomFile(cut), medErr(/truncated|could not be parsed/, cut));
  });
});

test('fuzz: every truncation and seeded byte corruption ends in a result or a MedprobeError, never a crash', async () => {
  await withDir(async (dir) => {
    const full = ctSlice({ rows: 4, cols: 4, pixels: Int16Array.from({ length: 16 }, (_, i) => i * 100 - 800), signed: true, intercept: -1024, position: [0, 0, 0] });
    const f = path.join(dir, 'f.dcm');
    const check = async (bytes: Uint8Array, what: string) => {
      await writeFile(f, bytes);
      try {
        await readDicomFile(f);
      } catch (e) {
        assert.ok(e instanceof MedprobeError, `${what}: ${String((e as Error)?.stack ?? e)}`);
      }
    };
    for (let n = 0; n < full.length; n += 3) await check(full.subarray(0, n), `truncated at ${n}`);
    const rng = createRng(7);
    for (let k = 0; k < 150; k++) {
      const b = full.slice();
      for (let j = 0; j < 4; j++) b[132 + rng.int(b.length - 132)] = rng.int(256);
      await check(b, `corruption ${k}`);
    }
  });
});

test('RLE (PS3.5 Annex G): hand-built segments with literal, replicate and no-op runs', () => {
  // 2×2, 16-bit, 1 sample: values 0x0102 0x0304 0xFF07 0x0007.
  // Segment 1 = high bytes 01 03 FF 00 as one literal run (control 3).
  // Segment 2 = low bytes 02 04 07 07: literal of 2 (control 1), a −128 no-op, then replicate 07 twice (control −1 = 0xFF).
  const seg1 = [0x03, 0x01, 0x03, 0xff, 0x00];
  const seg2 = [0x01, 0x02, 0x04, 0x80, 0xff, 0x07];
  const header = new Uint8Array(64);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, 2, true);
  dv.setUint32(4, 64, true);
  dv.setUint32(8, 64 + seg1.length, true);
  const frame = new Uint8Array([...header, ...seg1, ...seg2]);
  const out = decodeRleFrame(frame, 2, 2, 1, 16);
  assert.ok(out instanceof Uint16Array);
  assert.deepEqual(Array.from(out), [0x0102, 0x0304, 0xff07, 0x0007]);
  // Wrong segment count for the declared layout, and a segment that decodes short.
  dv.setUint32(0, 3, true);
  assert.throws(() => decodeRleFrame(new Uint8Array([...header, ...seg1, ...seg2]), 2, 2, 1, 16), /3 segments, expected 2/);
  dv.setUint32(0, 2, true);
  assert.throws(() => decodeRleFrame(new Uint8Array([...header, ...seg1, 0x00, 0x02]), 2, 2, 1, 16), /expected 4/);
});
