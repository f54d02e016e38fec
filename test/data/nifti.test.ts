import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { axisCodes, readNifti, readNiftiLabelMap, sliceVolume, volumeToSamples, writeNifti, writeOverlayPng } from '../../src/data/nifti/index.js';
import type { Volume3D } from '../../src/data/types.js';
import { withTempDir, medprobeError } from '../helpers/assertions.js';

const withDir = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('nifti', fn);

const medErr = (re: RegExp, ...files: string[]) => medprobeError(re, files);

const vol = (w: number, h: number, d: number, data: Volume3D['data']): Volume3D => ({ kind: '3d', width: w, height: h, depth: d, data });

// Rotation by 30° about z, spacing (0.5, 0.7, 1.2), then a translation: an oblique but orthogonal grid.
const c30 = Math.cos(Math.PI / 6);
const s30 = Math.sin(Math.PI / 6);
const OBLIQUE = [c30 * 0.5, -s30 * 0.7, 0, -10.5, s30 * 0.5, c30 * 0.7, 0, 20.25, 0, 0, 1.2, -30, 0, 0, 0, 1];

const close = (a: readonly number[], b: readonly number[], tol: number, what: string) =>
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol, `${what}[${i}]: ${v} vs ${b[i]}`));

/** Voxel → world with a row-major affine. */
const world = (A: readonly number[], i: number, j: number, k: number) => [0, 1, 2].map((r) => A[4 * r] * i + A[4 * r + 1] * j + A[4 * r + 2] * k + A[4 * r + 3]);

test('write → read round trip for uint8/int16/uint16/float32, .nii.gz and .nii; affine via sform', async () => {
  await withDir(async (dir) => {
    const n = 3 * 4 * 5;
    const arrays = [
      Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256),
      Int16Array.from({ length: n }, (_, i) => i * 300 - 9000),
      Uint16Array.from({ length: n }, (_, i) => i * 1000),
      Float32Array.from({ length: n }, (_, i) => i / 3 - 7.25),
    ];
    for (const data of arrays) {
      for (const ext of ['.nii.gz', '.nii']) {
        const f = path.join(dir, `v-${data.constructor.name}${ext}`);
        await writeNifti(f, vol(3, 4, 5, data), OBLIQUE);
        const back = await readNifti(f, { canonical: false });
        assert.equal(back.data.constructor, data.constructor);
        assert.deepEqual(Array.from(back.data), Array.from(data));
        assert.deepEqual([back.width, back.height, back.depth], [3, 4, 5]);
        assert.equal(back.header.affineSource, 'sform');
        close(back.affine, OBLIQUE, 1e-5, 'affine');
        close(back.spacing, [0.5, 0.7, 1.2], 1e-6, 'spacing');
      }
    }
    const raw = await readFile(path.join(dir, 'v-Uint8Array.nii.gz'));
    assert.equal(gunzipSync(raw).length, 352 + n);
  });
});

test('qform alone (sform_code 0) gives the same affine, incl. a left-handed one; pixdim fallback without either', async () => {
  await withDir(async (dir) => {
    const flipped = OBLIQUE.map((v, i) => (i === 2 || i === 6 || i === 10 ? -v : v)); // det < 0 → qfac −1
    flipped[10] = -1.2;
    for (const A of [OBLIQUE, flipped]) {
      const f = path.join(dir, 'q.nii');
      await writeNifti(f, vol(2, 2, 2, new Uint8Array(8)), A);
      const bytes = await readFile(f);
      bytes.writeInt16LE(0, 254); // sform_code = 0
      await writeFile(f, bytes);
      const back = await readNifti(f, { canonical: false });
      assert.equal(back.header.affineSource, 'qform');
      close(back.affine, A, 1e-5, 'qform affine');
      bytes.writeInt16LE(0, 252); // qform_code = 0 too → NIfTI "method 1": pixdim scaling, no offset
      await writeFile(f, bytes);
      const base = await readNifti(f, { canonical: false });
      assert.equal(base.header.affineSource, 'pixdim');
      close(base.affine, [0.5, 0, 0, 0, 0, 0.7, 0, 0, 0, 0, 1.2, 0, 0, 0, 0, 1], 1e-6, 'pixdim affine');
    }
  });
});

test('scl_slope/scl_inter applied as Float32; slope 0 means no scaling and keeps the stored type', async () => {
  await withDir(async (dir) => {
    const f = path.join(dir, 's.nii');
    await writeNifti(f, vol(2, 2, 1, Int16Array.from([-3, 0, 5, 1000])), OBLIQUE);
    const bytes = await readFile(f);
    bytes.writeFloatLE(2, 112);
    bytes.writeFloatLE(-5, 116);
    await writeFile(f, bytes);
    const scaled = await readNifti(f, { canonical: false });
    assert.ok(scaled.data instanceof Float32Array);
    assert.deepEqual(Array.from(scaled.data), [-11, -5, 5, 1995]);
    bytes.writeFloatLE(0, 112);
    await writeFile(f, bytes);
    const plain = await readNifti(f, { canonical: false });
    assert.ok(plain.data instanceof Int16Array);
    assert.deepEqual(Array.from(plain.data), [-3, 0, 5, 1000]);
  });
});

test('canonical RAS+: permuted/flipped grid is reordered so every voxel keeps its world position and value', async () => {
  await withDir(async (dir) => {
    // Voxel i → posterior (−y), j → superior (+z), k → left (−x): orientation "PSL".
    const A = [0, 0, -2, 50, -3, 0, 0, 60, 0, 1.5, 0, -70, 0, 0, 0, 1];
    assert.equal(axisCodes(A), 'PSL');
    const [n0, n1, n2] = [4, 3, 2];
    const data = Int16Array.from({ length: n0 * n1 * n2 }, (_, i) => i);
    const f = path.join(dir, 'psl.nii.gz');
    await writeNifti(f, vol(n0, n1, n2, data), A);
    const can = await readNifti(f);
    assert.equal(can.sourceOrientation, 'PSL');
    assert.equal(axisCodes(can.affine), 'RAS');
    assert.deepEqual([can.width, can.height, can.depth], [n2, n0, n1]);
    assert.deepEqual(can.spacing, [2, 3, 1.5]);
    // Independent check: invert the source affine by hand (it is a signed permutation × scale).
    for (let z = 0; z < can.depth; z++) {
      for (let y = 0; y < can.height; y++) {
        for (let x = 0; x < can.width; x++) {
          const [wx, wy, wz] = world(can.affine, x, y, z);
          const i = (wy - 60) / -3;
          const j = (wz + 70) / 1.5;
          const k = (wx - 50) / -2;
          for (const v of [i, j, k]) assert.ok(Math.abs(v - Math.round(v)) < 1e-6);
          const src = Math.round(i) + n0 * (Math.round(j) + n1 * Math.round(k));
          assert.equal(can.data[x + can.width * (y + can.height * z)], data[src]);
        }
      }
    }
  });
});

test('sliceVolume: axial/coronal/sagittal with anterior/superior at the top; volumeToSamples ids', () => {
  // 2 (x) × 3 (y) × 2 (z), value = 100z + 10y + x
  const data = Int16Array.from({ length: 12 }, (_, i) => 100 * Math.floor(i / 6) + 10 * (Math.floor(i / 2) % 3) + (i % 2));
  const v = vol(2, 3, 2, data);
  const ax = sliceVolume(v, 'axial', 1);
  assert.deepEqual([ax.width, ax.height], [2, 3]);
  assert.deepEqual(Array.from(ax.data), [120, 121, 110, 111, 100, 101]);
  const cor = sliceVolume(v, 'coronal', 2);
  assert.deepEqual([cor.width, cor.height], [2, 2]);
  assert.deepEqual(Array.from(cor.data), [120, 121, 20, 21]);
  const sag = sliceVolume(v, 'sagittal', 1);
  assert.deepEqual([sag.width, sag.height], [3, 2]);
  assert.deepEqual(Array.from(sag.data), [101, 111, 121, 1, 11, 21]);
  assert.ok(sag.data instanceof Int16Array);
  assert.throws(() => sliceVolume(v, 'axial', 2), RangeError);
  const samples = volumeToSamples(v, { id: 'vol.nii', label: Int32Array.of(1), keep: (i) => i > 0 });
  assert.deepEqual(samples.map((s) => s.id), ['vol.nii#axial1']);
});

test('label maps: on-grid accepted; other grid and non-integer labels rejected naming both files', async () => {
  await withDir(async (dir) => {
    const img = path.join(dir, 'img.nii.gz');
    const lab = path.join(dir, 'lab.nii.gz');
    const off = path.join(dir, 'off.nii.gz');
    const frac = path.join(dir, 'frac.nii.gz');
    await writeNifti(img, vol(2, 2, 2, new Float32Array(8).fill(5)), OBLIQUE);
    await writeNifti(lab, vol(2, 2, 2, Uint8Array.from([0, 1, 2, 0, 0, 0, 3, 0])), OBLIQUE);
    const shifted = OBLIQUE.slice();
    shifted[3] += 0.5;
    await writeNifti(off, vol(2, 2, 2, new Uint8Array(8)), shifted);
    await writeNifti(frac, vol(2, 2, 2, Float32Array.from([0, 0.5, 0, 0, 0, 0, 0, 0])), OBLIQUE);
    const image = await readNifti(img);
    const labels = await readNiftiLabelMap(lab, image);
    assert.ok(labels.data instanceof Uint8Array);
    await assert.rejects(readNiftiLabelMap(off, image), medErr(/is not on the grid of/, off, img));
    await assert.rejects(readNiftiLabelMap(frac, image), medErr(/non-integer value 0\.5/, frac));
  });
});

test('bad inputs: not NIfTI, truncated, corrupt gzip, unsupported datatype → one-line MedprobeErrors', async () => {
  await withDir(async (dir) => {
    const good = path.join(dir, 'good.nii');
    await writeNifti(good, vol(4, 4, 4, new Int16Array(64)), OBLIQUE);
    const bytes = await readFile(good);
    const cases: [string, Uint8Array, RegExp][] = [
      ['text.nii', new TextEncoder().encode('hello world, not a volume at all'.repeat(20)), /not a NIfTI-1\/2 file/],
      ['cut.nii', bytes.subarray(0, bytes.length - 9), /truncated/],
      ['bad.nii.gz', new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5]), /corrupt gzip/],
      ['empty.nii', new Uint8Array(0), /not a NIfTI/],
    ];
    const rgb = Buffer.from(bytes);
    rgb.writeInt16LE(128, 70); // datatype RGB24
    cases.push(['rgb.nii', rgb, /datatype 128/]);
    for (const [name, b, re] of cases) {
      const f = path.join(dir, name);
      await writeFile(f, b);
      await assert.rejects(readNifti(f), medErr(re, f));
    }
  });
});

test('overlay PNG: window maps to grey, labels blend with the palette', async () => {
  await withDir(async (dir) => {
    const image = { kind: '2d' as const, width: 2, height: 1, channels: 1, data: Float32Array.from([-1024, 600]) };
    const labels = { kind: '2d' as const, width: 2, height: 1, channels: 1, data: Uint8Array.from([0, 1]) };
    const f = path.join(dir, 'o.png');
    await writeOverlayPng(f, image, labels, { window: [-1024, 600], alpha: 0.5, scale: 1 });
    const png = PNG.sync.read(await readFile(f));
    assert.deepEqual([png.width, png.height], [2, 1]);
    assert.deepEqual(Array.from(png.data.subarray(0, 4)), [0, 0, 0, 255]);
    // white (255) blended 50/50 with label 1's colour (31, 119, 180)
    assert.deepEqual(Array.from(png.data.subarray(4, 8)), [143, 187, 218, 255]);
    await assert.rejects(writeOverlayPng(f, image, { ...labels, width: 1, data: Uint8Array.of(1) }), medErr(/label slice is 1×1 but the image is 2×1/));
  });
});

test('NIfTI-2 (540-byte header, int64 dims, float64 affine) reads through nifti-reader-js', async () => {
  const nifti = await import('nifti-reader-js');
  await withDir(async (dir) => {
    const h = new nifti.NIFTI2();
    h.littleEndian = true;
    h.magic = 'n+2\0\r\n\x1a\n';
    h.dims = [3, 2, 3, 2, 1, 1, 1, 1];
    h.datatypeCode = 64; // float64
    h.numBitsPerVoxel = 64;
    h.pixDims = [1, 0.5, 0.7, 1.2, 1, 1, 1, 1];
    h.vox_offset = 544;
    h.scl_slope = 0;
    h.sform_code = 1;
    h.affine = [OBLIQUE.slice(0, 4), OBLIQUE.slice(4, 8), OBLIQUE.slice(8, 12), [0, 0, 0, 1]];
    const header = new Uint8Array(h.toArrayBuffer(false));
    const values = Float64Array.from({ length: 12 }, (_, i) => i * 0.25 - 1);
    const f = path.join(dir, 'v2.nii');
    await writeFile(f, Buffer.concat([header, Buffer.from(values.buffer)]));
    const v = await readNifti(f, { canonical: false });
    assert.equal(v.header.version, 2);
    assert.equal(v.header.datatype, 'float64');
    assert.ok(v.data instanceof Float32Array);
    assert.deepEqual(Array.from(v.data), Array.from(values));
    close(v.affine, OBLIQUE, 1e-12, 'NIfTI-2 affine');
  });
});
