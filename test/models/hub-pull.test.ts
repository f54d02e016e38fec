import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HUB_MANIFEST, hubModelDir, pullHubModel, type HubManifest } from '../../src/models/hub-pull.js';
import { MedprobeError } from '../../src/util/errors.js';
import { startFixtureServer, type FixtureServer } from '../helpers/http-server.js';

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
/** What `git hash-object` prints: sha1 over "blob <size>\0" + content (the hub's etag for non-LFS files). */
const gitSha1 = (s: string) => createHash('sha1').update(`blob ${Buffer.byteLength(s)}\0${s}`).digest('hex');

const CONFIG = JSON.stringify({ model_type: 'dinov2', hidden_size: 384, patch_size: 14 });
const PRE = JSON.stringify({ image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225], size: { shortest_edge: 256 } });
const MODEL = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 13) & 0xff);

/**
 * Mimics huggingface.co: small files answer /resolve/ directly with the git blob sha1 as ETag;
 * LFS files answer with a 302 to a CDN path carrying X-Linked-Etag (sha256) and X-Linked-Size.
 */
function serveRepo(srv: FixtureServer, repo: string, opts: { modelEtag?: string } = {}): void {
  const base = `/${repo}/resolve/main`;
  srv.set(`${base}/config.json`, CONFIG, { etag: `"${gitSha1(CONFIG)}"`, 'x-repo-commit': 'c0ffee' });
  srv.set(`${base}/preprocessor_config.json`, PRE, { etag: `"${gitSha1(PRE)}"` });
  srv.set(`/cdn/${repo}/model.onnx`, MODEL, { etag: '"cdn-etag-not-a-hash"' });
  srv.redirect(`${base}/onnx/model.onnx`, `${srv.origin}/cdn/${repo}/model.onnx`, 302, {
    'x-linked-etag': `"${opts.modelEtag ?? sha256(MODEL)}"`,
    'x-linked-size': String(MODEL.length),
  });
}

async function withHub(fn: (srv: FixtureServer, cache: string) => Promise<void>): Promise<void> {
  const srv = await startFixtureServer();
  const cache = await mkdtemp(path.join(os.tmpdir(), 'medprobe-hub-'));
  try {
    await fn(srv, cache);
  } finally {
    await srv.close();
    await rm(cache, { recursive: true, force: true });
  }
}

test('pulls a transformers.js folder, verifies LFS sha256 and git sha1 etags, writes the manifest last', async () => {
  await withHub(async (srv, cache) => {
    serveRepo(srv, 'org/tiny-vit');
    const dir = await pullHubModel('org/tiny-vit', { cacheDir: cache, endpoint: srv.origin });
    assert.equal(dir, path.join(cache, 'models', 'org', 'tiny-vit', 'main'));
    assert.equal(dir, hubModelDir('org/tiny-vit', { cacheDir: cache }));
    assert.equal(await readFile(path.join(dir, 'config.json'), 'utf8'), CONFIG);
    assert.deepEqual(await readFile(path.join(dir, 'onnx', 'model.onnx')), Buffer.from(MODEL));
    const m = JSON.parse(await readFile(path.join(dir, HUB_MANIFEST), 'utf8')) as HubManifest;
    assert.equal(m.commit, 'c0ffee');
    assert.deepEqual(m.files['onnx/model.onnx'], { sha256: sha256(MODEL), size: MODEL.length, verified: 'lfs-sha256', etag: sha256(MODEL) });
    assert.deepEqual(m.files['config.json'], { sha256: sha256(CONFIG), size: Buffer.byteLength(CONFIG), verified: 'git-blob-sha1', etag: gitSha1(CONFIG) });
    assert.deepEqual((await readdir(dir)).sort(), ['config.json', HUB_MANIFEST, 'onnx', 'preprocessor_config.json']);
    // Complete manifest: no network at all the second time.
    const n = srv.requests.length;
    await srv.close();
    assert.equal(await pullHubModel('org/tiny-vit', { cacheDir: cache, endpoint: srv.origin }), dir);
    assert.equal(srv.requests.length, n);
  });
});

test('a mismatching LFS etag fails with a checksum error and leaves no model file or manifest', async () => {
  await withHub(async (srv, cache) => {
    serveRepo(srv, 'org/bad', { modelEtag: 'f'.repeat(64) });
    await assert.rejects(
      pullHubModel('org/bad', { cacheDir: cache, endpoint: srv.origin }),
      (e: unknown) => e instanceof MedprobeError && /checksum mismatch for .*model\.onnx: expected sha256 f{64}, got [0-9a-f]{64}/.test(e.message),
    );
    const dir = hubModelDir('org/bad', { cacheDir: cache });
    assert.equal(existsSync(path.join(dir, HUB_MANIFEST)), false);
    assert.deepEqual(await readdir(path.join(dir, 'onnx')), []);
  });
});

test('a corrupted small file is caught by its git blob sha1', async () => {
  await withHub(async (srv, cache) => {
    serveRepo(srv, 'org/tampered');
    srv.set('/org/tampered/resolve/main/config.json', CONFIG.replace('384', '999'), { etag: `"${gitSha1(CONFIG)}"` });
    await assert.rejects(pullHubModel('org/tampered', { cacheDir: cache, endpoint: srv.origin }), (e: unknown) => e instanceof MedprobeError && /expected git blob sha1/.test(e.message));
    assert.equal(existsSync(path.join(hubModelDir('org/tampered', { cacheDir: cache }), 'config.json')), false);
  });
});

test('an interrupted pull has no manifest; the next pull resumes the big file and skips verified ones', async () => {
  await withHub(async (srv, cache) => {
    serveRepo(srv, 'org/resume');
    srv.truncate('/cdn/org/resume/model.onnx', 70_000);
    await assert.rejects(pullHubModel('org/resume', { cacheDir: cache, endpoint: srv.origin }), (e: unknown) => e instanceof MedprobeError && /interrupted/.test(e.message));
    const dir = hubModelDir('org/resume', { cacheDir: cache });
    assert.equal(existsSync(path.join(dir, HUB_MANIFEST)), false);
    assert.ok(existsSync(path.join(dir, 'onnx', 'model.onnx.part')));
    const gets = () => srv.requests.filter((r) => r.method === 'GET').map((r) => r.path);
    const before = gets().length;
    await pullHubModel('org/resume', { cacheDir: cache, endpoint: srv.origin });
    // config files already on disk matched their etags: only the model was fetched again, with a Range.
    assert.deepEqual(gets().slice(before), ['/org/resume/resolve/main/onnx/model.onnx', '/cdn/org/resume/model.onnx']);
    assert.match(String(srv.hits('/cdn/org/resume/model.onnx').at(-1)!.headers.range), /^bytes=\d+-$/);
    assert.deepEqual(await readFile(path.join(dir, 'onnx', 'model.onnx')), Buffer.from(MODEL));
    assert.ok(existsSync(path.join(dir, HUB_MANIFEST)));
  });
});

test('extra files extend an existing folder; bad ids, 404s and unreachable hubs give clear errors', async () => {
  await withHub(async (srv, cache) => {
    serveRepo(srv, 'org/q');
    const q = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    srv.set('/cdn/org/q/model_quantized.onnx', q);
    srv.redirect('/org/q/resolve/main/onnx/model_quantized.onnx', `${srv.origin}/cdn/org/q/model_quantized.onnx`, 302, { 'x-linked-etag': `"${sha256(q)}"` });
    const dir = await pullHubModel('org/q', { cacheDir: cache, endpoint: srv.origin });
    await pullHubModel('org/q', { cacheDir: cache, endpoint: srv.origin, files: ['onnx/model_quantized.onnx'] });
    const m = JSON.parse(await readFile(path.join(dir, HUB_MANIFEST), 'utf8')) as HubManifest;
    assert.deepEqual(Object.keys(m.files).sort(), ['config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'preprocessor_config.json']);
    // A manifest entry whose file went missing makes the folder incomplete again.
    await rm(path.join(dir, 'config.json'));
    await writeFile(path.join(dir, 'preprocessor_config.json'), PRE);
    await pullHubModel('org/q', { cacheDir: cache, endpoint: srv.origin });
    assert.equal(await readFile(path.join(dir, 'config.json'), 'utf8'), CONFIG);

    await assert.rejects(pullHubModel('../etc', { cacheDir: cache, endpoint: srv.origin }), (e: unknown) => e instanceof MedprobeError && /not a hub repo id/.test(e.message));
    await assert.rejects(pullHubModel('org/q', { cacheDir: cache, endpoint: srv.origin, files: ['../x'] }), (e: unknown) => e instanceof MedprobeError && /not a repo-relative/.test(e.message));
    await assert.rejects(pullHubModel('org/none', { cacheDir: cache, endpoint: srv.origin }), (e: unknown) => e instanceof MedprobeError && /HTTP 404 .*org\/none\/resolve\/main\/config\.json/.test(e.message));
    await assert.rejects(pullHubModel('org/none', { cacheDir: cache, endpoint: 'http://127.0.0.1:1' }), (e: unknown) => e instanceof MedprobeError && /cannot reach 127\.0\.0\.1:1/.test(e.message));
  });
});
