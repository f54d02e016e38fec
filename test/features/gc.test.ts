import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FeatureCache } from '../../src/features/cache.js';
import { collectGarbage } from '../../src/features/gc.js';
import { withTempDir } from '../helpers/assertions.js';

const manifest = { modelFingerprint: 'm', inputSize: 28, datasetFingerprint: 'd', split: 'train', preprocessing: 'p', feature: 'cls', idsHash: 'i', createdAt: '', extractSeconds: 0, medprobe: '0' };
const matrix = (rows: number) => ({ data: new Float32Array(rows * 4), rows, cols: 4 });

test('cache gc removes merged shards, dead temp dirs and stale locks, keeps the rest, and reports bytes', async () => {
  await withTempDir('gc', async (cacheDir) => {
    const cache = new FeatureCache(path.join(cacheDir, 'features'));
    const split = 'aa'.repeat(32);
    const pending = 'cc'.repeat(32);
    await cache.write(split, matrix(8), manifest);
    await cache.write('b1'.repeat(32), matrix(4), { ...manifest, shardOf: split }); // merged: orphan
    await cache.write('d1'.repeat(32), matrix(4), { ...manifest, shardOf: pending }); // split not merged yet: keep
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const deadTmp = path.join(cache.root, 'aa', `.tmp-${'ee'.repeat(32)}-${dead}-0123abcd`);
    const liveTmp = path.join(cache.root, 'aa', `.tmp-${'ff'.repeat(32)}-${process.pid}-0123abcd`);
    for (const d of [deadTmp, liveTmp]) {
      await mkdir(d, { recursive: true });
      await writeFile(path.join(d, 'features.npy'), new Uint8Array(1000));
    }
    await mkdir(path.dirname(cache.lockFile(pending)), { recursive: true });
    await writeFile(cache.lockFile(pending), JSON.stringify({ pid: dead, host: os.hostname(), token: 't' }));
    await writeFile(cache.lockFile(split), JSON.stringify({ pid: process.pid, host: os.hostname(), token: 't' }));

    const dry = await collectGarbage(cacheDir, { dryRun: true });
    assert.equal(dry.removed.length, 3);
    assert.ok(existsSync(deadTmp));

    const report = await collectGarbage(cacheDir);
    assert.deepEqual(report.removed.map((r) => r.why).sort(), ['shard already merged', 'stale lock', 'temp file of a finished process']);
    assert.ok(report.freedBytes > 1000 + 4 * 4 * 4, `freed ${report.freedBytes}`);
    assert.equal(await cache.has('b1'.repeat(32)), false);
    assert.equal(await cache.has('d1'.repeat(32)), true);
    assert.equal(await cache.has(split), true);
    assert.ok(!existsSync(deadTmp) && existsSync(liveTmp));
    assert.ok(existsSync(cache.lockFile(split)) && !existsSync(cache.lockFile(pending)));
    assert.equal((await collectGarbage(cacheDir)).removed.length, 0);
  });
});

test('a second holder of an entry lock waits, then finds the entry and computes nothing', async () => {
  await withTempDir('gc', async (cacheDir) => {
    const cache = new FeatureCache(path.join(cacheDir, 'features'));
    const key = 'ab'.repeat(32);
    let computed = 0;
    const compute = () =>
      cache.withLock(key, async () => {
        if (await cache.has(key)) return;
        computed++;
        await new Promise((r) => setTimeout(r, 20));
        await cache.write(key, matrix(2), manifest);
      });
    await Promise.all([compute(), compute(), compute()]);
    assert.equal(computed, 1);
  });
});
