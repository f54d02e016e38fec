/**
 * The quickstart's download path, against a local HTTP server standing in for Zenodo and the
 * HF hub: PneumoniaMNIST is pulled MD5-checked, the dinov2-small-layout folder sha256-checked,
 * then the built-in suite runs. A failed or mismatching download leaves no file behind.
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
import { quickstartSuite, QUICKSTART_MODEL } from '../../src/run/quickstart.js';
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
    server.set(`/${QUICKSTART_MODEL}/resolve/main/${f}`, body, f.endsWith('.onnx') ? { 'x-linked-etag': `"${sha256(body)}"` } : {});
  }
});
after(async () => {
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

test('quickstart pulls both downloads into the cache and runs kNN + linear probe', async () => {
  const cacheDir = path.join(dir, 'cache');
  const suite = await quickstartSuite({ cacheDir, resultsDir: path.join(dir, 'results'), medmnistBaseUrl: server.origin, medmnistMd5: md5(npz), hubEndpoint: server.origin });
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
  await quickstartSuite({ cacheDir, resultsDir: path.join(dir, 'results'), medmnistBaseUrl: server.origin, medmnistMd5: md5(npz), hubEndpoint: server.origin });
  assert.equal(server.requests.filter((r) => r.method === 'GET').length, server.requests.slice(0, before).filter((r) => r.method === 'GET').length);
});

test('a checksum mismatch or an HTTP error leaves no partial file and says what failed', async () => {
  const cacheDir = path.join(dir, 'cache-bad');
  await assert.rejects(
    quickstartSuite({ cacheDir, medmnistBaseUrl: server.origin, medmnistMd5: '0'.repeat(32), model: path.join(dir, 'hub-src') }),
    /MD5|md5|checksum/i,
  );
  assert.deepEqual((await listFiles(cacheDir)).filter((f) => f.endsWith('.npz') || f.includes('.part')), []);
  await assert.rejects(quickstartSuite({ cacheDir, dataDir: path.join(dir, 'nope'), model: path.join(dir, 'hub-src') }), /not found/);
  server.fail(`/${QUICKSTART_MODEL}/resolve/main/onnx/model.onnx`, 404, 1);
  await assert.rejects(quickstartSuite({ cacheDir: path.join(dir, 'cache-404'), hubEndpoint: server.origin, medmnistBaseUrl: server.origin, medmnistMd5: md5(npz) }), /404/);
  assert.deepEqual((await listFiles(path.join(dir, 'cache-404'))).filter((f) => f.endsWith('model.onnx')), []);
});
