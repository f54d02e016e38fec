import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openNpz, requireNpzKeys } from '../../src/data/npz.js';
import { npzBytes, writeNpz, zip64NpzBytes } from './npz-fixture.js';
import { withTempDir, medprobeError } from '../helpers/assertions.js';

const withDir = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('npz', fn);

const medErr = (re: RegExp, file?: string) => medprobeError(re, file ? [file] : []);

const arrays = () => ({
  images: { data: Uint8Array.from({ length: 2 * 4 * 4 }, (_, i) => i), shape: [2, 4, 4] },
  feats: { data: Float32Array.from([0.5, -1, 2, 3.5, 1e-3, 9]), shape: [3, 2] },
});

test('reads deflated and stored members, entry by entry', async () => {
  await withDir(async (dir) => {
    for (const level of [6, 0] as const) {
      const file = path.join(dir, `a${level}.npz`);
      await writeNpz(file, arrays(), { level });
      const npz = await openNpz(file);
      assert.deepEqual(npz.keys, ['images', 'feats']);
      const img = await npz.read('images');
      assert.equal(img.dtype, 'uint8');
      assert.deepEqual(img.shape, [2, 4, 4]);
      assert.deepEqual([...img.data], Array.from({ length: 32 }, (_, i) => i));
      const f = await npz.read('feats');
      assert.deepEqual(f.shape, [3, 2]);
      assert.deepEqual(f.data, Float32Array.from([0.5, -1, 2, 3.5, 1e-3, 9]));
      assert.equal(npz.sizeOf('images'), 128 + 32);
    }
  });
});

test('missing key lists expected and found keys', async () => {
  await withDir(async (dir) => {
    const file = path.join(dir, 'k.npz');
    await writeNpz(file, arrays());
    const npz = await openNpz(file);
    await assert.rejects(npz.read('labels'), medErr(/no array 'labels' \(found: images, feats\)/, file));
    assert.throws(() => requireNpzKeys(npz, ['images', 'train_labels', 'test_labels']), medErr(/missing train_labels, test_labels \(expected images, train_labels, test_labels; found images, feats\)/, file));
  });
});

test('missing file, directory, non-zip and truncated zip give clear errors', async () => {
  await withDir(async (dir) => {
    await assert.rejects(openNpz(path.join(dir, 'none.npz')), medErr(/no such npz file/));
    await assert.rejects(openNpz(dir), medErr(/is a directory/));
    const text = path.join(dir, 'text.npz');
    await writeFile(text, 'this is certainly not a zip archive, just some words long enough to scan');
    await assert.rejects(openNpz(text), medErr(/not a zip\/npz archive/, text));
    await writeFile(path.join(dir, 'tiny.npz'), 'PK');
    await assert.rejects(openNpz(path.join(dir, 'tiny.npz')), medErr(/not a zip\/npz archive/));
    const bytes = npzBytes(arrays());
    const cut = path.join(dir, 'cut.npz');
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await assert.rejects(openNpz(cut), medErr(/truncated npz/, cut));
  });
});

test('a damaged member is reported as a corrupt entry, naming it', async () => {
  await withDir(async (dir) => {
    // Big, compressible member so the damage lands inside its deflate stream.
    const big = { big: { data: Float32Array.from({ length: 20000 }, (_, i) => i % 97), shape: [20000] } };
    const bytes = npzBytes(big);
    for (const at of [0.3, 0.5]) {
      const bad = Uint8Array.from(bytes);
      const pos = Math.floor(bytes.length * at);
      bad[pos] ^= 0xff;
      bad[pos + 1] ^= 0x55;
      const file = path.join(dir, `bad${at}.npz`);
      await writeFile(file, bad);
      const npz = await openNpz(file);
      await assert.rejects(npz.read('big'), medErr(/corrupt entry 'big'/, file));
    }
    // Stored member: only the CRC can notice.
    const stored = Uint8Array.from(npzBytes(big, { level: 0 }));
    stored[1000] ^= 0x01;
    const file = path.join(dir, 'stored.npz');
    await writeFile(file, stored);
    await assert.rejects((await openNpz(file)).read('big'), medErr(/corrupt entry 'big': CRC-32/, file));
  });
});

test('zip64 archives (members or files over 4 GiB, as numpy writes them) are read through their zip64 records', async () => {
  await withDir(async (dir) => {
    // The fixture layout was checked once with Python: zipfile.testzip() passes and np.load reads both arrays.
    const file = path.join(dir, 'z64.npz');
    await writeFile(file, zip64NpzBytes({ a: { data: Uint8Array.from([1, 2, 3]), shape: [3] }, b: { data: Float32Array.from([0.5, 2]), shape: [1, 2] } }));
    const npz = await openNpz(file);
    assert.deepEqual(npz.keys, ['a', 'b']);
    assert.deepEqual([...(await npz.read('a')).data], [1, 2, 3]);
    const b = await npz.read('b');
    assert.deepEqual(b.shape, [1, 2]);
    assert.deepEqual([...b.data], [0.5, 2]);
  });
});

test('readRows splits an array into row-aligned buffers without changing a byte', async () => {
  await withDir(async (dir) => {
    const rows = 300;
    const big = Float32Array.from({ length: rows * 70 }, (_, i) => i * 0.5 - 7); // 84 kB: larger than the 64 kB header window
    const small = Uint8Array.from({ length: 5 * 6 }, (_, i) => i);
    for (const level of [6, 0] as const) {
      const file = path.join(dir, `rows${level}.npz`);
      await writeNpz(file, { big: { data: big, shape: [rows, 70] }, small: { data: small, shape: [5, 2, 3] } }, { level });
      const npz = await openNpz(file);
      let seen = 0;
      const r = await npz.readRows('big', { maxChunkBytes: 280 * 7 + 5, onBytes: (n) => (seen += n) });
      assert.equal(seen, npz.sizeOf('big'));
      assert.deepEqual([r.dtype, r.shape, r.rowBytes, r.rowsPerChunk, r.chunks.length], ['float32', [rows, 70], 280, 7, Math.ceil(rows / 7)]);
      for (const i of [0, 6, 7, 150, rows - 1]) {
        const row = r.row(i);
        assert.deepEqual(new Float32Array(row.buffer.slice(row.byteOffset, row.byteOffset + row.length)), big.subarray(i * 70, (i + 1) * 70), `row ${i}`);
      }
      const s = await npz.readRows('small');
      assert.deepEqual([s.rowsPerChunk, s.chunks.length], [5, 1]);
      assert.deepEqual([...s.row(4)], [24, 25, 26, 27, 28, 29]);
    }
  });
});
