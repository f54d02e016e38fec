import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { readDicomFile } from '../../src/data/dicom/index.js';
import { dicomFile, type El } from './dicom-fixtures.js';
import { withTempDir } from '../helpers/assertions.js';

// Compressed transfer syntaxes without ../shared: frames are encoded here with the encoders that
// ship in the same codec packages (CharLS, OpenJPEG) or with jpeg-js, wrapped into DICOM, and read back.
const require = createRequire(import.meta.url);

interface Encoder {
  getDecodedBuffer(info: object): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
  delete(): void;
  setNearLossless?(n: number): void;
  setQuality?(lossless: boolean, q: number): void;
  setDecompositions?(n: number): void;
}
async function encode(pkg: string, cls: string, info: { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean }, pixels: Uint8Array, setup: (e: Encoder) => void): Promise<Uint8Array> {
  const mod = (await (require(pkg) as (o: object) => Promise<Record<string, new () => Encoder>>)({ print() {}, printErr() {} })) as Record<string, new () => Encoder>;
  const e = new mod[cls]();
  try {
    e.getDecodedBuffer({ isUsingColorSpace: false, isSigned: false, ...info }).set(pixels);
    setup(e);
    e.encode();
    return e.getEncodedBuffer().slice();
  } finally {
    e.delete();
  }
}

function imageElements(rows: number, cols: number, opts: { spp?: number; bits?: number; signed?: boolean; photometric?: string; frames?: number; slope?: number; intercept?: number }): El[] {
  const els: El[] = [
    { tag: [0x0008, 0x0060], vr: 'CS', value: 'CT' },
    { tag: [0x0028, 0x0002], vr: 'US', value: opts.spp ?? 1 },
    { tag: [0x0028, 0x0004], vr: 'CS', value: opts.photometric ?? 'MONOCHROME2' },
    { tag: [0x0028, 0x0010], vr: 'US', value: rows },
    { tag: [0x0028, 0x0011], vr: 'US', value: cols },
    { tag: [0x0028, 0x0100], vr: 'US', value: opts.bits ?? 16 },
    { tag: [0x0028, 0x0101], vr: 'US', value: opts.bits ?? 16 },
    { tag: [0x0028, 0x0102], vr: 'US', value: (opts.bits ?? 16) - 1 },
    { tag: [0x0028, 0x0103], vr: 'US', value: opts.signed ? 1 : 0 },
    { tag: [0x0028, 0x1052], vr: 'DS', value: String(opts.intercept ?? 0) },
    { tag: [0x0028, 0x1053], vr: 'DS', value: String(opts.slope ?? 1) },
  ];
  if (opts.spp === 3) els.push({ tag: [0x0028, 0x0006], vr: 'US', value: 0 });
  if (opts.frames) els.push({ tag: [0x0028, 0x0008], vr: 'IS', value: String(opts.frames) });
  return els;
}

const withDir = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('dicom-codec', fn);

const [rows, cols] = [6, 8];
const stored = Int16Array.from({ length: rows * cols }, (_, i) => ((i * 977) % 4000) - 2048);
const expectedHu = Array.from(stored, (v) => v * 2 - 1024);

test('JPEG-LS lossless (CharLS): signed 16-bit frame decodes to the exact HU', async () => {
  await withDir(async (dir) => {
    const code = await encode('@cornerstonejs/codec-charls/wasmjs', 'JpegLSEncoder', { width: cols, height: rows, bitsPerSample: 16, componentCount: 1 }, new Uint8Array(stored.buffer), (e) => e.setNearLossless!(0));
    const f = path.join(dir, 'jls.dcm');
    await writeFile(f, dicomFile(imageElements(rows, cols, { signed: true, slope: 2, intercept: -1024 }), { transferSyntax: '1.2.840.10008.1.2.4.80', encapsulatedPixels: [code] }));
    const im = await readDicomFile(f);
    assert.deepEqual(Array.from(im.frames[0].data), expectedHu);
  });
});

test('JPEG 2000 lossless (OpenJPEG): two frames, one fragment each, no offset table', async () => {
  await withDir(async (dir) => {
    const second = Int16Array.from(stored, (v) => -v);
    const enc = (px: Int16Array) =>
      encode('@cornerstonejs/codec-openjpeg/wasmjs', 'J2KEncoder', { width: cols, height: rows, bitsPerSample: 16, componentCount: 1, isSigned: true }, new Uint8Array(px.buffer), (e) => {
        e.setQuality!(true, 0);
        e.setDecompositions!(2); // the default 5 levels do not fit an 8×6 image
      });
    const f = path.join(dir, 'j2k.dcm');
    await writeFile(f, dicomFile(imageElements(rows, cols, { signed: true, slope: 2, intercept: -1024, frames: 2 }), { transferSyntax: '1.2.840.10008.1.2.4.90', encapsulatedPixels: [await enc(stored), await enc(second)] }));
    const im = await readDicomFile(f);
    assert.equal(im.frames.length, 2);
    assert.deepEqual(Array.from(im.frames[0].data), expectedHu);
    assert.deepEqual(Array.from(im.frames[1].data), Array.from(second, (v) => v * 2 - 1024));
  });
});

test('JPEG baseline (libjpeg-turbo): a jpeg-js encoded YBR_FULL_422 frame decodes to the same RGB as jpeg-js', async () => {
  await withDir(async (dir) => {
    const [w, h] = [16, 12];
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([(i * 13) % 256, (i * 7 + 40) % 256, 255 - ((i * 5) % 256), 255], i * 4);
    const code = new Uint8Array(jpeg.encode({ data: rgba, width: w, height: h }, 95).data);
    const ref = jpeg.decode(code, { useTArray: true, formatAsRGBA: false });
    const f = path.join(dir, 'jpg.dcm');
    await writeFile(f, dicomFile(imageElements(h, w, { spp: 3, bits: 8, photometric: 'YBR_FULL_422' }), { transferSyntax: '1.2.840.10008.1.2.4.50', encapsulatedPixels: [code] }));
    const im = await readDicomFile(f);
    assert.equal(im.outputPhotometric, 'RGB');
    assert.ok(im.frames[0].data instanceof Uint8Array);
    const ours = im.frames[0].data;
    // Two conforming JPEG decoders may differ by rounding in upsampling/IDCT; allow ±3 levels.
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref.data[i]));
    assert.ok(worst <= 3, `max difference ${worst}`);
  });
});
