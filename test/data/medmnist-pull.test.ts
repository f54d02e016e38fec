import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { medmnistDir, medmnistUrl, pullMedMNIST } from '../../src/data/medmnist/pull.js';
import { openMedMNIST } from '../../src/data/medmnist/source.js';
import { MedprobeError } from '../../src/util/errors.js';
import { startFixtureServer } from '../helpers/http-server.js';
import { medmnistArrays, npzBytes } from './npz-fixture.js';
import { withTempDir } from '../helpers/assertions.js';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const ZENODO_PATH = '/records/10519652/files';

const withDir = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('pull', fn);

test('medmnistUrl keeps the Zenodo path and swaps the origin', () => {
  assert.equal(medmnistUrl('pneumoniamnist'), 'https://zenodo.org/records/10519652/files/pneumoniamnist.npz?download=1');
  assert.equal(medmnistUrl('PneumoniaMNIST', 64, 'http://127.0.0.1:9/'), 'http://127.0.0.1:9/records/10519652/files/pneumoniamnist_64.npz?download=1');
  assert.equal(medmnistUrl('adrenalmnist3d', 64, 'https://mirror.example/mm'), 'https://mirror.example/mm/records/10519652/files/adrenalmnist3d_64.npz?download=1');
  assert.throws(() => medmnistUrl('adrenalmnist3d', 128), (e: unknown) => e instanceof MedprobeError && /no 128 px version/.test(e.message) && e.hint === 'available sizes: 28, 64');
});

test('pull downloads a generated npz, verifies its MD5, then reuses it without a request', async () => {
  const bytes = npzBytes(medmnistArrays({ counts: [4, 2, 2], imageShape: [64, 64] }));
  const srv = await startFixtureServer({ [`${ZENODO_PATH}/pneumoniamnist_64.npz`]: bytes });
  try {
    await withDir(async (cache) => {
      const file = await pullMedMNIST('pneumoniamnist', { size: 64, cacheDir: cache, baseUrl: srv.origin, md5: md5(bytes) });
      assert.equal(file, path.join(cache, 'datasets', 'medmnist', 'pneumoniamnist_64.npz'));
      assert.equal(file, path.join(medmnistDir(cache), 'pneumoniamnist_64.npz'));
      assert.deepEqual(await readFile(file), Buffer.from(bytes));
      const ds = await openMedMNIST(file);
      assert.equal(ds.size, 64);
      assert.equal(ds.splits.train!.size, 4);
      const before = srv.requests.length;
      assert.equal(await pullMedMNIST('pneumoniamnist', { size: 64, cacheDir: cache, baseUrl: srv.origin, md5: md5(bytes) }), file);
      assert.equal(srv.requests.length, before, 'second pull made no request');
      // A corrupted cached copy is detected (by MD5) and replaced.
      await writeFile(file, 'garbage');
      await pullMedMNIST('pneumoniamnist', { size: 64, cacheDir: cache, baseUrl: srv.origin, md5: md5(bytes) });
      assert.equal(srv.requests.length, before + 1);
      assert.deepEqual(await readFile(file), Buffer.from(bytes));
    });
  } finally {
    await srv.close();
  }
});

test('concurrent pulls of one file download it once', async () => {
  const bytes = npzBytes(medmnistArrays({ counts: [30, 5, 5], imageShape: [28, 28] }));
  const route = `${ZENODO_PATH}/organcmnist.npz`;
  const srv = await startFixtureServer({ [route]: bytes });
  try {
    await withDir(async (cache) => {
      const opts = { cacheDir: cache, baseUrl: srv.origin, md5: md5(bytes) };
      const paths = await Promise.all([pullMedMNIST('organcmnist', opts), pullMedMNIST('organcmnist', opts), pullMedMNIST('organcmnist', opts)]);
      assert.equal(new Set(paths).size, 1);
      assert.equal(srv.hits(route).length, 1);
      assert.equal(md5(await readFile(paths[0])), md5(bytes));
      assert.deepEqual((await readdir(medmnistDir(cache))).filter((f) => !f.endsWith('.md5')), ['organcmnist.npz']);
    });
  } finally {
    await srv.close();
  }
});

test('pull against the registry MD5 rejects other bytes and leaves nothing in the cache', async () => {
  const bytes = npzBytes(medmnistArrays({ counts: [2, 1, 1], imageShape: [28, 28] }));
  const srv = await startFixtureServer({ [`${ZENODO_PATH}/breastmnist.npz`]: bytes });
  try {
    await withDir(async (cache) => {
      await assert.rejects(
        pullMedMNIST('breastmnist', { cacheDir: cache, baseUrl: srv.origin }),
        (e: unknown) => e instanceof MedprobeError && /checksum mismatch .*breastmnist\.npz: expected md5 750601b1f35ba3300ea97c75c52ff8f6/.test(e.message),
      );
      assert.deepEqual(await readdir(medmnistDir(cache)), []);
      await assert.rejects(pullMedMNIST('octmnist', { cacheDir: cache, baseUrl: srv.origin }), (e: unknown) => e instanceof MedprobeError && /HTTP 404 .*octmnist\.npz/.test(e.message));
      await assert.rejects(pullMedMNIST('mnist', { cacheDir: cache }), (e: unknown) => e instanceof MedprobeError && /unknown MedMNIST dataset 'mnist'/.test(e.message));
    });
  } finally {
    await srv.close();
  }
});

test('a pull cut short resumes on the next call', async () => {
  const bytes = npzBytes(medmnistArrays({ counts: [40, 5, 5], imageShape: [28, 28, 28] }), { level: 0 });
  const route = `${ZENODO_PATH}/nodulemnist3d.npz`;
  const srv = await startFixtureServer({ [route]: bytes });
  srv.truncate(route, Math.floor(bytes.length / 3));
  try {
    await withDir(async (cache) => {
      const opts = { cacheDir: cache, baseUrl: srv.origin, md5: md5(bytes) };
      await assert.rejects(pullMedMNIST('nodulemnist3d', opts), (e: unknown) => e instanceof MedprobeError && /interrupted/.test(e.message) && /resume/.test(e.hint ?? ''));
      const file = await pullMedMNIST('nodulemnist3d', opts);
      assert.match(String(srv.hits(route).at(-1)!.headers.range), /^bytes=\d+-$/);
      assert.equal(md5(await readFile(file)), md5(bytes));
    });
  } finally {
    await srv.close();
  }
});

// The real PneumoniaMNIST file served locally must pass the registry's own MD5: registry and file agree end to end.
const real = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..', '../shared'), 'data/medmnist/pneumoniamnist.npz');
test('pulling the real pneumoniamnist.npz from a local mirror verifies against info.py', { skip: existsSync(real) ? false : `${real} not present` }, async () => {
  const srv = await startFixtureServer({ [`${ZENODO_PATH}/pneumoniamnist.npz`]: readFileSync(real) });
  try {
    await withDir(async (cache) => {
      const file = await pullMedMNIST('pneumoniamnist', { cacheDir: cache, baseUrl: srv.origin });
      assert.equal(md5(await readFile(file)), '28209eda62fecd6e6a2d98b1501bb15f');
    });
  } finally {
    await srv.close();
  }
});
