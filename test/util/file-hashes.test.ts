import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileHash, fileHashes } from '../../src/util/file-hashes.js';
import { withTempDir } from '../helpers/assertions.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('hashes are cached under the cache dir and nothing is written beside the data', async () => {
  await withTempDir('fh', async (dir) => {
    const data = path.join(dir, 'data');
    const cacheDir = path.join(dir, 'cache');
    await mkdir(data);
    const files = ['a.png', 'b.png'].map((f) => path.join(data, f));
    await writeFile(files[0], 'aaaa');
    await writeFile(files[1], 'bbbb');
    const h = await fileHashes(files, { cacheDir });
    assert.deepEqual([...h.values()], [sha('aaaa'), sha('bbbb')]);
    assert.deepEqual((await readdir(data)).sort(), ['a.png', 'b.png']);
    assert.equal((await readdir(path.join(cacheDir, 'file-hashes'))).length, 1);
    assert.equal(await fileHash(files[0], { cacheDir, algorithm: 'md5' }), createHash('md5').update('aaaa').digest('hex'));
  });
});

test('a same-size, same-mtime replacement is caught by default (ctime/inode) and by --verify', async () => {
  await withTempDir('fh', async (dir) => {
    const cacheDir = path.join(dir, 'cache');
    const file = path.join(dir, 'x.npz');
    await writeFile(file, 'labels-1');
    await utimes(file, 1e9, 1e9); // whole seconds, so restoring it is exact
    assert.equal(await fileHash(file, { cacheDir }), sha('labels-1'));
    const st = await stat(file);
    // In place: same inode, mtime restored; only ctime moves.
    await writeFile(file, 'labels-0');
    await utimes(file, 1e9, 1e9);
    assert.equal((await stat(file)).mtimeMs, st.mtimeMs);
    assert.equal(await fileHash(file, { cacheDir }), sha('labels-0'));
    // Replaced by rename: a new inode.
    const other = path.join(dir, 'y.npz');
    await writeFile(other, 'labels-9');
    await utimes(other, 1e9, 1e9);
    await rename(other, file);
    assert.equal(await fileHash(file, { cacheDir }), sha('labels-9'));
    // verify rereads even when every stat field matches the cache.
    assert.equal(await fileHash(file, { cacheDir, verify: true }), sha('labels-9'));
  });
});

test('--verify ignores a cached hash whose stat still matches (a tampered cache)', async () => {
  await withTempDir('fh', async (dir) => {
    const cacheDir = path.join(dir, 'cache');
    const file = path.join(dir, 'x.npz');
    await writeFile(file, 'content');
    await fileHash(file, { cacheDir });
    const store = path.join(cacheDir, 'file-hashes', (await readdir(path.join(cacheDir, 'file-hashes')))[0]);
    const planted = JSON.parse(await readFile(store, 'utf8'));
    planted['x.npz'].hash = 'ab'.repeat(32);
    await writeFile(store, JSON.stringify(planted));
    assert.equal(await fileHash(file, { cacheDir }), 'ab'.repeat(32), 'a matching stat trusts the cache (one stat per file on reopen)');
    assert.equal(await fileHash(file, { cacheDir, verify: true }), sha('content'));
  });
});
