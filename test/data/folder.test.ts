import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { MedprobeError } from '../../src/util/errors.js';
import { decodeImage, openImageFolder } from '../../src/data/folder/index.js';

let dir = '';

function png(width: number, height: number, data: Uint8Array | Uint16Array, colorType: 0 | 2 | 6, bitDepth: 8 | 16): Buffer {
  return PNG.sync.write({ width, height, data: data as Buffer } as PNG, { bitDepth, colorType, inputColorType: colorType, inputHasAlpha: colorType === 6, filterType: 0 });
}

/** Raw scanlines of a filter-type-0 PNG, read independently of any PNG decoder. */
function rawScanlines(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let off = 8; off < buf.length; ) {
    const len = buf.readUInt32BE(off);
    if (buf.toString('ascii', off + 4, off + 8) === 'IDAT') parts.push(buf.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  return zlib.inflateSync(Buffer.concat(parts));
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-folder-'));
  await mkdir(path.join(dir, 'img', 'patient001'), { recursive: true });
  await mkdir(path.join(dir, 'img', 'patient002'), { recursive: true });
  const grey = (v: number): Buffer => png(2, 2, Uint8Array.from([v, v, v, 255 - v]), 0, 8);
  await writeFile(path.join(dir, 'img', 'patient001', 'a.png'), grey(10));
  await writeFile(path.join(dir, 'img', 'patient001', 'b.png'), grey(20));
  await writeFile(path.join(dir, 'img', 'patient002', 'c.png'), grey(30));
  await writeFile(path.join(dir, 'img', 'd.png'), grey(40));
  await writeFile(path.join(dir, 'img', 'broken.png'), grey(50).subarray(0, 40)); // truncated
  await writeFile(path.join(dir, 'img', 'text.png'), 'not an image');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('16-bit grey PNG keeps its exact values (0, 1, 4095, 65535)', async () => {
  const buf = png(4, 1, Uint16Array.from([0, 1, 4095, 65535]), 0, 16);
  // independent check of what the file holds: filter byte 0, then big-endian 16-bit samples
  assert.deepEqual(Array.from(rawScanlines(buf)), [0, 0, 0, 0, 1, 0x0f, 0xff, 0xff, 0xff]);
  const img = await decodeImage(buf, 'grey16.png');
  assert.ok(img.data instanceof Uint16Array);
  assert.deepEqual([img.width, img.height, img.channels], [4, 1, 1]);
  assert.deepEqual(Array.from(img.data), [0, 1, 4095, 65535]);
});

test('16-bit RGB PNG keeps values and 3 channels', async () => {
  const img = await decodeImage(png(2, 1, Uint16Array.from([1, 2, 3, 40000, 50000, 65535]), 2, 16), 'rgb16.png');
  assert.equal(img.channels, 3);
  assert.deepEqual(Array.from(img.data), [1, 2, 3, 40000, 50000, 65535]);
});

test('8-bit PNGs: grey stays 1 channel, RGBA loses alpha, values exact', async () => {
  const g = await decodeImage(png(3, 1, Uint8Array.from([0, 128, 255]), 0, 8), 'g.png');
  assert.ok(g.data instanceof Uint8Array);
  assert.deepEqual([g.channels, ...Array.from(g.data)], [1, 0, 128, 255]);
  const rgba = await decodeImage(png(2, 1, Uint8Array.from([1, 2, 3, 0, 250, 251, 252, 255]), 6, 8), 'rgba.png');
  assert.deepEqual([rgba.channels, ...Array.from(rgba.data)], [3, 1, 2, 3, 250, 251, 252]);
});

test('JPEG decodes bit-exactly like PIL, and within IDCT rounding of jpeg-js', async () => {
  const w = 16, h = 8;
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([(i * 7) % 256, (i * 3) % 256, 200, 255], i * 4);
  const jpg = jpeg.encode({ data: rgba, width: w, height: h }, 95).data;
  const ours = await decodeImage(jpg, 'x.jpg');
  const ref = jpeg.decode(jpg, { useTArray: true });
  assert.equal(ours.channels, 3);
  let maxDiff = 0;
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) maxDiff = Math.max(maxDiff, Math.abs(ours.data[i * 3 + c] - ref.data[i * 4 + c]));
  assert.ok(maxDiff <= 3, `max difference ${maxDiff}`);
  // bit-exact with PIL: /usr/bin/python3, Pillow 9.4.0 (Debian), on this same jpeg-js q95 file:
  // hashlib.sha256(Image.open(f).convert('RGB').tobytes()).hexdigest()
  assert.equal(createHash('sha256').update(ours.data as Uint8Array).digest('hex'), '52f8aa348708d5dbb3d6c2a03d5a2eff92b7ae82b4f9c8b252d4360f52d74c7f');
});

test('non-images and truncated files are one-line MedprobeErrors naming the file', async () => {
  await assert.rejects(decodeImage(Buffer.from('hello world'), 'notes.txt'), (e: unknown) => e instanceof MedprobeError && /notes.txt is not a PNG or JPEG/.test(e.message));
  const cut = png(8, 8, new Uint8Array(64).fill(9), 0, 8).subarray(0, 45);
  await assert.rejects(decodeImage(cut, 'cut.png'), (e: unknown) => e instanceof MedprobeError && /cannot decode PNG cut.png/.test(e.message) && !e.oneLine().includes('\n'));
});

test('single-label CSV with split and patient columns', async () => {
  await writeFile(
    path.join(dir, 'single.csv'),
    'path,diagnosis,pid,fold\nimg/patient001/a.png,pneumonia,P1,train\nimg/patient001/b.png,normal,P1,Training\nimg/patient002/c.png,normal,P2,test\nimg/d.png,pneumonia,P3,valid\n',
  );
  const ds = await openImageFolder({ root: dir, csv: 'single.csv', imageColumn: 'path', patientColumn: 'pid', splitColumn: 'fold', labels: { kind: 'single', column: 'diagnosis' } });
  assert.deepEqual(ds.task, { type: 'binary', labels: ['normal', 'pneumonia'] });
  assert.deepEqual(ds.report.splitSizes, { train: 2, val: 1, test: 1 });
  assert.deepEqual(Array.from(ds.splits.train!.labels), [1, 0]);
  assert.deepEqual(ds.splits.train!.patientIds, ['P1', 'P1']);
  const s = await ds.splits.test!.get(0);
  assert.equal(s.id, 'img/patient002/c.png');
  assert.deepEqual(Array.from(s.image.data), [30, 30, 30, 225]);
  assert.equal(s.patientId, 'P2');
  assert.match(ds.fingerprint, /^[0-9a-f]{64}$/);
  // explicit class order, numeric inference
  const ds2 = await openImageFolder({ root: dir, csv: 'single.csv', imageColumn: 'path', labels: { kind: 'single', column: 'diagnosis', classes: ['pneumonia', 'normal'] } });
  assert.deepEqual(Array.from(ds2.splits.train!.labels), [0, 1, 1, 0]);
  assert.match(ds2.report.notes.join(' '), /no split column/);
});

test('CheXpert-style columns: 1/0/−1/blank under each policy', async () => {
  await writeFile(
    path.join(dir, 'chexpert.csv'),
    'Path,Edema,Cardiomegaly\nimg/patient001/a.png,1.0,-1.0\nimg/patient001/b.png,,0.0\nimg/patient002/c.png,0,1\n',
  );
  const open = (uncertain: string, blank: string) =>
    openImageFolder({ root: dir, csv: 'chexpert.csv', imageColumn: 'Path', patientPattern: '(patient\\d+)', labels: { kind: 'multi-columns', columns: ['Edema', 'Cardiomegaly'], uncertain, blank } as never });
  const zeros = await open('zero', 'zero');
  assert.deepEqual(zeros.task, { type: 'multi-label', labels: ['Edema', 'Cardiomegaly'] });
  assert.deepEqual(Array.from(zeros.splits.train!.labels), [1, 0, 0, 0, 0, 1]);
  assert.deepEqual(zeros.splits.train!.patientIds, ['patient001', 'patient001', 'patient002']);
  assert.deepEqual(Array.from((await open('one', 'zero')).splits.train!.labels), [1, 1, 0, 0, 0, 1]);
  const ign = await open('ignore-label', 'ignore-label');
  assert.deepEqual(Array.from(ign.splits.train!.labels), [1, -1, -1, 0, 0, 1]);
  assert.equal(ign.report.missingLabels, 2);
  const drop = await open('ignore-sample', 'zero');
  assert.equal(drop.splits.train!.size, 2);
  assert.deepEqual(drop.report.droppedByLabelPolicy.map((p) => [p.line, p.file]), [[2, 'img/patient001/a.png']]);
});

test('NIH-style pipe list with No Finding', async () => {
  await writeFile(path.join(dir, 'nih.csv'), 'Image Index,Finding Labels,Patient ID\nimg/patient001/a.png,Effusion|Infiltration,1\nimg/patient001/b.png,No Finding,1\nimg/d.png,Mass,2\n');
  const ds = await openImageFolder({ root: dir, csv: 'nih.csv', imageColumn: 'Image Index', patientColumn: 'Patient ID', labels: { kind: 'pipe-list', column: 'Finding Labels', classes: ['Infiltration', 'Effusion', 'Mass'] } });
  assert.deepEqual(Array.from(ds.splits.train!.labels), [1, 1, 0, 0, 0, 0, 0, 0, 1]);
  await writeFile(path.join(dir, 'nih-bad.csv'), 'Image Index,Finding Labels\nimg/d.png,Hernia\n');
  await assert.rejects(
    openImageFolder({ root: dir, csv: 'nih-bad.csv', imageColumn: 'Image Index', labels: { kind: 'pipe-list', column: 'Finding Labels', classes: ['Mass'] } }),
    (e: unknown) => e instanceof MedprobeError && /line 2 \(img\/d.png\): unknown label 'Hernia'/.test(e.message),
  );
});

test('bad rows: stop names the line; skip lists every dropped row with its reason', async () => {
  await writeFile(
    path.join(dir, 'messy.csv'),
    'file,y\nimg/d.png,a\nimg/missing.png,b\nimg/text.png,a\nimg/broken.png,b\n,a\nimg/d.png,b\nimg/patient002/c.png,b\n',
  );
  const cfg = { root: dir, csv: 'messy.csv', imageColumn: 'file', labels: { kind: 'single' as const, column: 'y' } };
  await assert.rejects(openImageFolder(cfg), (e: unknown) => e instanceof MedprobeError && /messy.csv line 6: empty 'file' cell/.test(e.message) && /onError: 'skip'/.test(e.hint ?? ''));
  const ds = await openImageFolder({ ...cfg, onError: 'skip' });
  const reasons = ds.report.skipped.map((p) => `${p.line}:${p.reason}`);
  assert.deepEqual(reasons, ['6:empty \'file\' cell', '7:image listed twice in the manifest', '3:file not found', '4:not a PNG or JPEG file']);
  // the truncated PNG has a valid header: 'exists' keeps it and get() fails loudly; 'decode' skips it up front
  assert.equal(ds.splits.train!.size, 3);
  const idx = ds.splits.train!.ids.indexOf('img/broken.png');
  await assert.rejects(ds.splits.train!.get(idx), (e: unknown) => e instanceof MedprobeError && /cannot decode PNG .*broken.png/.test(e.message));
  const strict = await openImageFolder({ ...cfg, onError: 'skip', verify: 'decode' });
  assert.ok(strict.report.skipped.some((p) => p.line === 5 && /cannot decode PNG/.test(p.reason)));
  assert.equal(strict.splits.train!.size, 2);
});

test('config and manifest problems are one-line errors with hints', async () => {
  await assert.rejects(openImageFolder({ root: dir, csv: 'nope.csv', imageColumn: 'x', labels: { kind: 'single', column: 'y' } }), /manifest not found/);
  await assert.rejects(
    openImageFolder({ root: dir, csv: 'single.csv', imageColumn: 'image', labels: { kind: 'single', column: 'label' } }),
    (e: unknown) => e instanceof MedprobeError && /lacks column\(s\) 'image', 'label'/.test(e.message) && /path, diagnosis, pid, fold/.test(e.hint ?? ''),
  );
  await assert.rejects(openImageFolder({ root: dir, csv: 'single.csv', imageColumn: 'path', labels: { kind: 'bogus' } } as never), /invalid image-folder config: labels/);
  await writeFile(path.join(dir, 'ragged.csv'), 'a,b\n1,2,3\n');
  await assert.rejects(openImageFolder({ root: dir, csv: 'ragged.csv', imageColumn: 'a', labels: { kind: 'single', column: 'b' } }), /cannot parse manifest/);
  assert.ok((await readFile(path.join(dir, 'single.csv'), 'utf8')).length > 0);
});

test('class folders: split/class layout (Training/Testing) and flat class layout', async () => {
  const { openClassFolders } = await import('../../src/data/folder/index.js');
  const base = path.join(dir, 'bt');
  const grey = (v: number): Buffer => png(2, 1, Uint8Array.from([v, v]), 0, 8);
  for (const [split, cls, n] of [['Training', 'glioma', 2], ['Training', 'meningioma', 1], ['Testing', 'glioma', 1], ['Testing', 'meningioma', 1]] as const) {
    await mkdir(path.join(base, split, cls), { recursive: true });
    for (let i = 0; i < n; i++) await writeFile(path.join(base, split, cls, `${cls}-${i}.png`), grey(i));
  }
  await writeFile(path.join(base, 'Training', 'glioma', 'notes.txt'), 'x');
  const ds = await openClassFolders({ root: base });
  assert.deepEqual(ds.task, { type: 'binary', labels: ['glioma', 'meningioma'] });
  assert.deepEqual(ds.report.splitSizes, { train: 3, test: 2 });
  assert.deepEqual(ds.splits.train!.ids, ['Training/glioma/glioma-0.png', 'Training/glioma/glioma-1.png', 'Training/meningioma/meningioma-0.png']);
  assert.deepEqual(Array.from(ds.splits.train!.labels), [0, 0, 1]);
  assert.ok(ds.report.notes.some((n) => /1 file\(s\) without an image extension/.test(n)));
  assert.deepEqual(Array.from((await ds.splits.test!.get(1)).image.data), [0, 0]);
  // flat layout: every class folder under root, all in train
  const flat = await openClassFolders({ root: path.join(base, 'Training'), layout: 'class', classes: ['meningioma', 'glioma'] });
  assert.deepEqual(Array.from(flat.splits.train!.labels), [1, 1, 0]);
  await assert.rejects(openClassFolders({ root: path.join(base, 'Training') }), (e: unknown) => e instanceof MedprobeError && /no split folders under .* \(found: glioma, meningioma\)/.test(e.message));
  await assert.rejects(openClassFolders({ root: path.join(base, 'Training'), layout: 'class', classes: ['glioma', 'pituitary'] }), /unknown class 'meningioma'/);
});

test('16-bit grey PNG: the sharp grey16 path equals pngjs on every pixel of a random image', async () => {
  const values = Uint16Array.from({ length: 64 * 48 }, (_, i) => (i * 2654435761) % 65536);
  const buf = png(64, 48, values, 0, 16);
  const ref = PNG.sync.read(Buffer.from(buf), { skipRescale: true });
  const refGrey = Array.from({ length: 64 * 48 }, (_, i) => (ref.data as unknown as Uint16Array)[4 * i]);
  const img = await decodeImage(buf, 'random16.png');
  assert.equal(img.channels, 1);
  assert.deepEqual(Array.from(img.data), refGrey);
  assert.deepEqual(Array.from(img.data), Array.from(values));
});
