import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openMedMNIST } from '../../src/data/medmnist/source.js';
import { MedprobeError } from '../../src/util/errors.js';
import { medmnistArrays, writeNpz } from './npz-fixture.js';
import { withTempDir, medprobeError } from '../helpers/assertions.js';

const withDir = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('mm', fn);

const medErr = (re: RegExp, file?: string) => medprobeError(re, file ? [file] : []);

test('2D grayscale npz opens as Image2D views with labels and a sha256 fingerprint', async () => {
  await withDir(async (dir) => {
    const file = path.join(dir, 'pneumoniamnist.npz');
    const bytes = await writeNpz(file, medmnistArrays({ counts: [5, 2, 3], imageShape: [28, 28] }));
    const ds = await openMedMNIST(file);
    assert.equal(ds.name, 'pneumoniamnist');
    assert.equal(ds.dims, 2);
    assert.equal(ds.size, 28);
    assert.equal(ds.task.type, 'binary');
    assert.deepEqual(ds.task.labels, ['normal', 'pneumonia']);
    assert.equal(ds.fingerprint, createHash('sha256').update(bytes).digest('hex'));
    assert.deepEqual(ds.files, [path.resolve(file)]);
    assert.deepEqual([ds.splits.train!.size, ds.splits.val!.size, ds.splits.test!.size], [5, 2, 3]);
    const train = ds.splits.train!;
    assert.deepEqual([...train.labels], [0, 1, 0, 1, 0]);
    const s3 = await train.get(3);
    assert.equal(s3.id, 'train/3');
    assert.deepEqual([...s3.label], [1]);
    assert.equal(s3.image.kind, '2d');
    if (s3.image.kind !== '2d') return;
    assert.deepEqual([s3.image.width, s3.image.height, s3.image.channels], [28, 28, 1]);
    assert.equal(s3.image.data.length, 784);
    assert.deepEqual([s3.image.data[0], s3.image.data[1], s3.image.data[2]], [0, 3, (3 * 7 + 2) & 0xff]);
    // Views, not copies: consecutive samples share one buffer, 784 bytes apart.
    const s4 = await train.get(4);
    assert.equal(s4.image.data.buffer, s3.image.data.buffer);
    assert.equal(s4.image.data.byteOffset - s3.image.data.byteOffset, 784);
    const t2 = await ds.splits.test!.get(2);
    assert.deepEqual([t2.image.data[0], t2.image.data[1]], [2, 2]);
    await assert.rejects(train.get(5), RangeError);
  });
});

test('images spread over several buffers (as 224 px files are) give the same samples', async () => {
  await withDir(async (dir) => {
    const file = path.join(dir, 'organamnist.npz');
    await writeNpz(file, medmnistArrays({ counts: [7, 2, 3], imageShape: [28, 28], classes: 11 }));
    const whole = await openMedMNIST(file);
    // 3 images (2352 bytes) per buffer: the 7 train images land in buffers of 3, 3 and 1.
    const chunked = await openMedMNIST(file, { maxChunkBytes: 3 * 784 + 100 });
    for (const split of ['train', 'val', 'test'] as const) {
      for (let i = 0; i < whole.splits[split]!.size; i++) {
        const a = await whole.splits[split]!.get(i);
        const b = await chunked.splits[split]!.get(i);
        assert.deepEqual(b.image.data, a.image.data, `${split} ${i}`);
        assert.equal(b.image.data[1], i);
      }
    }
    const t2 = (await chunked.splits.train!.get(2)).image.data;
    const t3 = (await chunked.splits.train!.get(3)).image.data;
    assert.notEqual(t3.buffer, t2.buffer, 'sample 3 starts the second buffer');
    assert.equal(t3.byteOffset, 0);
  });
});

test('RGB 2D, multi-label and 3D files map to the right shapes and label widths', async () => {
  await withDir(async (dir) => {
    const blood = path.join(dir, 'bloodmnist_64.npz');
    await writeNpz(blood, medmnistArrays({ counts: [3, 1, 1], imageShape: [64, 64, 3], classes: 8 }));
    const b = await openMedMNIST(blood);
    assert.equal(b.size, 64);
    assert.equal(b.task.type, 'multi-class');
    const img = (await b.splits.train!.get(2)).image;
    assert.ok(img.kind === '2d' && img.channels === 3 && img.data.length === 64 * 64 * 3);

    const chest = path.join(dir, 'chest-copy.npz');
    await writeNpz(chest, medmnistArrays({ counts: [2, 1, 1], imageShape: [28, 28], labelWidth: 14 }));
    const c = await openMedMNIST(chest, { name: 'ChestMNIST' });
    assert.equal(c.name, 'chestmnist');
    assert.equal(c.task.type, 'multi-label');
    assert.equal(c.splits.train!.labels.length, 2 * 14);
    const l1 = (await c.splits.train!.get(1)).label;
    // fixture: label[i] = 1 when i*5 % 3 == 0 over the flat array; row 1 covers flat 14..27.
    assert.deepEqual([...l1], Array.from({ length: 14 }, (_, k) => (((14 + k) * 5) % 3 === 0 ? 1 : 0)));

    const adrenal = path.join(dir, 'adrenalmnist3d.npz');
    await writeNpz(adrenal, medmnistArrays({ counts: [2, 1, 2], imageShape: [28, 28, 28] }));
    const a = await openMedMNIST(adrenal);
    assert.equal(a.dims, 3);
    const v = (await a.splits.test!.get(1)).image;
    assert.ok(v.kind === '3d');
    if (v.kind !== '3d') return;
    assert.deepEqual([v.depth, v.height, v.width, v.data.length], [28, 28, 28, 28 ** 3]);
    assert.deepEqual([v.data[0], v.data[1]], [2, 1]);
  });
});

test('validation: label/image count mismatch, label range, channels, unknown names', async () => {
  await withDir(async (dir) => {
    const mismatch = path.join(dir, 'pneumoniamnist.npz');
    await writeNpz(mismatch, medmnistArrays({ counts: [5, 2, 3], labelCounts: [5, 3, 3], imageShape: [28, 28] }));
    await assert.rejects(openMedMNIST(mismatch), medErr(/val split has 2 images but 3 labels/, mismatch));

    const range = path.join(dir, 'breastmnist.npz');
    await writeNpz(range, medmnistArrays({ counts: [4, 1, 1], imageShape: [28, 28], classes: 3 }));
    await assert.rejects(openMedMNIST(range), medErr(/train_labels: sample 2 has label 2, outside 0\.\.1 for breastmnist/, range));

    const gray = path.join(dir, 'dermamnist.npz');
    await writeNpz(gray, medmnistArrays({ counts: [2, 1, 1], imageShape: [28, 28], classes: 7 }));
    await assert.rejects(openMedMNIST(gray), medErr(/train_images has shape \(2, 28, 28\); dermamnist images are \[N, H, W, 3\]/, gray));

    const chestOneCol = path.join(dir, 'chestmnist.npz');
    await writeNpz(chestOneCol, medmnistArrays({ counts: [2, 1, 1], imageShape: [28, 28] }));
    await assert.rejects(openMedMNIST(chestOneCol), medErr(/train_labels has 1 column\(s\) per sample, chestmnist \(multi-label\) needs 14/));

    const odd = path.join(dir, 'mystery.npz');
    await writeNpz(odd, medmnistArrays({ counts: [1, 1, 1], imageShape: [28, 28] }));
    await assert.rejects(openMedMNIST(odd), (e: unknown) => e instanceof MedprobeError && /cannot tell which MedMNIST dataset/.test(e.message) && /pathmnist, chestmnist/.test(e.hint ?? ''));
    await assert.rejects(openMedMNIST(odd, { name: 'cifar10' }), (e: unknown) => e instanceof MedprobeError && /unknown MedMNIST dataset 'cifar10'/.test(e.message) && /synapsemnist3d/.test(e.hint ?? ''));

    const renamed = path.join(dir, 'organsmnist_128.npz');
    await writeNpz(renamed, medmnistArrays({ counts: [2, 1, 1], imageShape: [28, 28] }));
    await assert.rejects(openMedMNIST(renamed), medErr(/file name says 128 px but train_images are 28 px/, renamed));

    const partial = path.join(dir, 'octmnist.npz');
    const arr = medmnistArrays({ counts: [1, 1, 1], imageShape: [28, 28] });
    delete arr.test_labels;
    await writeNpz(partial, arr);
    await assert.rejects(openMedMNIST(partial), medErr(/missing test_labels/, partial));
  });
});

test('fingerprint is cached in the cache dir, never beside the data, and follows content', async () => {
  await withDir(async (dir) => {
    const data = path.join(dir, 'data');
    const cacheDir = path.join(dir, 'cache');
    await mkdir(data);
    const file = path.join(data, 'breastmnist.npz');
    const arrays = medmnistArrays({ counts: [2, 1, 1], imageShape: [28, 28], classes: 2 });
    await writeNpz(file, arrays, { level: 0 });
    await utimes(file, 1e9, 1e9); // whole seconds, so restoring it below is exact
    const first = await openMedMNIST(file, { cacheDir });
    assert.deepEqual(await readdir(data), ['breastmnist.npz']);
    assert.equal((await readdir(path.join(cacheDir, 'file-hashes'))).length, 1);
    assert.equal((await openMedMNIST(file, { cacheDir })).fingerprint, first.fingerprint);
    // Labels flipped: same size, mtime restored. ctime moves, so the cached hash is not trusted.
    const flipped = { ...arrays, test_labels: { ...arrays.test_labels, data: (arrays.test_labels.data as Uint8Array).map((v) => 1 - v) } };
    const bytes = await writeNpz(file, flipped, { level: 0 });
    await utimes(file, 1e9, 1e9);
    const again = await openMedMNIST(file, { cacheDir });
    assert.notEqual(again.fingerprint, first.fingerprint);
    assert.equal(again.fingerprint, createHash('sha256').update(bytes).digest('hex'));
  });
});

test('lazyImages: open reads labels and image headers only; a split is inflated at its first get, with the same samples', async () => {
  await withDir(async (dir) => {
    const file = path.join(dir, 'pneumoniamnist.npz');
    // Stored members, so one byte of train_images' pixels can be corrupted (its CRC then fails).
    const bytes = Buffer.from(await writeNpz(file, medmnistArrays({ counts: [5, 2, 3], imageShape: [28, 28] }), { level: 0 }));
    const eager = await openMedMNIST(file);
    const lazy = await openMedMNIST(file, { lazyImages: true });
    assert.equal(lazy.fingerprint, eager.fingerprint);
    assert.equal(lazy.size, 28);
    for (const split of ['train', 'val', 'test'] as const) {
      assert.equal(lazy.splits[split]!.size, eager.splits[split]!.size);
      assert.deepEqual([...lazy.splits[split]!.labels], [...eager.splits[split]!.labels]);
      for (let i = 0; i < eager.splits[split]!.size; i++) assert.deepEqual((await lazy.splits[split]!.get(i)).image, (await eager.splits[split]!.get(i)).image);
    }
    // By design, not timing: with train_images' pixels corrupted, a lazy open still succeeds
    // (it never inflated them) and only a train sample fails, naming the file; an eager open fails.
    const name = bytes.indexOf('train_images.npy') + 'train_images.npy'.length;
    bytes[name + 128 + 3000] ^= 0xff;
    const broken = path.join(dir, 'broken', 'pneumoniamnist.npz');
    await mkdir(path.dirname(broken));
    await writeFile(broken, bytes);
    await assert.rejects(openMedMNIST(broken), medErr(/corrupt entry 'train_images': CRC-32/, broken));
    const opened = await openMedMNIST(broken, { lazyImages: true });
    assert.deepEqual([opened.splits.train!.size, opened.splits.val!.size], [5, 2]);
    assert.equal((await opened.splits.val!.get(1)).image.data[1], 1);
    await assert.rejects(opened.splits.train!.get(0), medErr(/corrupt entry 'train_images': CRC-32/, broken));
  });
});
