/**
 * The quickstart: with no options, the embedded default shipped in assets/default (no network);
 * with --download / --model dinov2-small, the download path against a local HTTP server standing
 * in for Zenodo and the HF hub: PneumoniaMNIST is pulled MD5-checked, the dinov2-small-layout
 * folder sha256-checked, then the built-in suite runs. A failed or mismatching download leaves
 * no file behind.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFixtureServer, type FixtureServer } from '../helpers/http-server.js';
import { npzBytes, medmnistArrays } from '../data/npz-fixture.js';
import { writeFakeHubFolder } from '../../src/models/fixtures/hub-folder.js';
import { quickstartSuite, EMBEDDED_DEFAULT } from '../../src/run/quickstart.js';

const HUB_MODEL = 'onnx-community/dinov2-small';
import { runSuite } from '../../src/run/runner.js';
import { medmnistFile } from '../../src/data/medmnist/registry.js';

let server: FixtureServer;
let dir: string;
let npz: Uint8Array;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

async function listFiles(root: string): Promise<string[]> {
  try {
    return (await fs.readdir(root, { recursive: true })).map(String).sort();
  } catch {
    return [];
  }
}

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-quickstart-'));
  server = await startFixtureServer();
  npz = npzBytes(medmnistArrays({ counts: [24, 8, 10], imageShape: [28, 28] }));
  server.set(new URL(medmnistFile('pneumoniamnist', 28).url).pathname, npz);
  const hub = path.join(dir, 'hub-src');
  await writeFakeHubFolder(hub, { size: 28, patchSize: 14 });
  for (const f of ['config.json', 'preprocessor_config.json', 'onnx/model.onnx']) {
    const body = new Uint8Array(await fs.readFile(path.join(hub, f)));
    // The hub sends an LFS file's sha256 as its (linked) etag; pull verifies against it.
    server.set(`/${HUB_MODEL}/resolve/main/${f}`, body, f.endsWith('.onnx') ? { 'x-linked-etag': `"${sha256(body)}"` } : {});
  }
});
after(async () => {
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

test('quickstart pulls both downloads into the cache and runs kNN + linear probe', async () => {
  const cacheDir = path.join(dir, 'cache');
  const suite = await quickstartSuite({ cacheDir, resultsDir: path.join(dir, 'results'), download: true, model: 'dinov2-small', medmnistBaseUrl: server.origin, medmnistMd5: md5(npz), hubEndpoint: server.origin });
  assert.equal(suite.suite.models.length, 1);
  const summary = await runSuite({ suite, log: () => {} });
  assert.deepEqual(summary.results.map((r) => r.result.protocol.name).sort(), ['knn', 'linear']);
  for (const r of summary.results) {
    assert.equal(r.result.dataset.name, 'pneumoniamnist');
    assert.equal(r.result.predictions.ids.length, 10);
  }
  const cached = await listFiles(cacheDir);
  assert.ok(cached.some((f) => f.endsWith('pneumoniamnist.npz')));
  assert.ok(cached.some((f) => f.endsWith(path.join('onnx', 'model.onnx'))));
  // A second quickstart downloads nothing.
  const before = server.requests.length;
  await quickstartSuite({ cacheDir, resultsDir: path.join(dir, 'results'), download: true, model: 'dinov2-small', medmnistBaseUrl: server.origin, medmnistMd5: md5(npz), hubEndpoint: server.origin });
  assert.equal(server.requests.filter((r) => r.method === 'GET').length, server.requests.slice(0, before).filter((r) => r.method === 'GET').length);
});

test('a checksum mismatch or an HTTP error leaves no partial file and says what failed', async () => {
  const cacheDir = path.join(dir, 'cache-bad');
  await assert.rejects(
    quickstartSuite({ cacheDir, download: true, medmnistBaseUrl: server.origin, medmnistMd5: '0'.repeat(32), model: path.join(dir, 'hub-src') }),
    /MD5|md5|checksum/i,
  );
  assert.deepEqual((await listFiles(cacheDir)).filter((f) => f.endsWith('.npz') || f.includes('.part')), []);
  await assert.rejects(quickstartSuite({ cacheDir, dataDir: path.join(dir, 'nope'), model: path.join(dir, 'hub-src') }), /not found/);
  server.fail(`/${HUB_MODEL}/resolve/main/onnx/model.onnx`, 404, 1);
  await assert.rejects(quickstartSuite({ cacheDir: path.join(dir, 'cache-404'), model: 'dinov2-small', hubEndpoint: server.origin, medmnistBaseUrl: server.origin, medmnistMd5: md5(npz) }), /404/);
  assert.deepEqual((await listFiles(path.join(dir, 'cache-404'))).filter((f) => f.endsWith('model.onnx')), []);
});

test('with no options the quickstart uses the embedded default: shipped files, licences, checksums as documented, no download', async () => {
  const before = server.requests.length;
  const suite = await quickstartSuite({ cacheDir: path.join(dir, 'cache-embedded'), resultsDir: path.join(dir, 'results-embedded') });
  assert.deepEqual(suite.suite.models, [{ card: EMBEDDED_DEFAULT.card }]);
  const ds = suite.suite.datasets[0] as { file?: string; size?: number };
  assert.equal(ds.file, EMBEDDED_DEFAULT.data);
  assert.equal(ds.size, 28);
  assert.equal(server.requests.length, before);
  const assets = path.dirname(EMBEDDED_DEFAULT.data);
  const attribution = await fs.readFile(EMBEDDED_DEFAULT.attribution, 'utf8');
  for (const f of ['pneumoniamnist.npz', 'mobilenetv2-035-imagenet.onnx']) {
    const digest = sha256(new Uint8Array(await fs.readFile(path.join(assets, f))));
    assert.ok(attribution.includes(digest), `ATTRIBUTION.md records the sha256 of ${f} (${digest})`);
  }
  assert.equal(md5(new Uint8Array(await fs.readFile(EMBEDDED_DEFAULT.data))), '28209eda62fecd6e6a2d98b1501bb15f', 'the official MedMNIST MD5');
  assert.match(await fs.readFile(path.join(assets, 'LICENSE-mobilenetv2-035-imagenet.txt'), 'utf8'), /Apache License\s+Version 2\.0/);
  assert.match(await fs.readFile(path.join(assets, 'LICENSE-pneumoniamnist.txt'), 'utf8'), /CC BY 4\.0/);
  // The shipped card points at the shipped ONNX file.
  assert.match(await fs.readFile(EMBEDDED_DEFAULT.card, 'utf8'), /^file: \.\.\/\.\.\/assets\/default\/mobilenetv2-035-imagenet\.onnx$/m);
});
