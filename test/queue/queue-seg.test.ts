/**
 * A segmentation suite (seg-linear, seg-unet, seg-fewshot on a DRIVE-layout folder and NIfTI
 * volumes) through `medprobe run --queue` on two `medprobe worker` processes and a real
 * redis-server: the results, prediction masks and cached grids equal those of the same suite
 * run in-process, bit for bit apart from timing and host fields; a rerun enqueues nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSuite } from '../../src/run/suite.js';
import { runSuite } from '../../src/run/runner.js';
import { readTree, stripVolatile } from '../run/plan-fixture.js';
import { driveEntry, pairsEntry, SMALL_SEG_PROTOCOLS, VOLUME_IDS, writeDriveLike, writeSegSuite, writeVit, writeVolumes } from '../run/seg-fixture.js';
import { REDIS_SKIP, spawnUntilReady, startRedis, stopChild, type RedisFixture } from './redis-fixture.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(repo, 'bin/medprobe.js');
const env = { ...process.env, MEDPROBE_QUIET: '1' };
let redis: RedisFixture | undefined;
let dir: string;
const workers: ChildProcess[] = [];

before(async () => {
  if (REDIS_SKIP) return;
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-queue-seg-'));
  await writeVit(dir);
  await writeDriveLike(path.join(dir, 'drive'), { training: 5, test: 2 });
  await writeVolumes(path.join(dir, 'msd'), VOLUME_IDS);
  await writeSegSuite(path.join(dir, 'suite.yaml'), [driveEntry(), pairsEntry('msd')], {
    ...SMALL_SEG_PROTOCOLS,
    'seg-fewshot': { lr: [1e-2, 5e-2], epochs: 2, batchSize: 8, shots: [1, 2], tries: 2 },
  });
  redis = await startRedis();
  for (const n of ['w0', 'w1']) workers.push(await spawnUntilReady(process.execPath, [bin, 'worker', '--queue', redis.url, '--name', n], /ready on/, { cwd: dir, env }));
});
after(async () => {
  await Promise.all(workers.map((w) => stopChild(w)));
  await redis?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function coordinator(): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'run', 'suite.yaml', '--queue', redis!.url], { cwd: dir, env, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stderr: r.stderr };
}

test('a seg suite on the queue gives the results of a local run, bit for bit', { skip: REDIS_SKIP }, async (t) => {
  const suite = await loadSuite(path.join(dir, 'suite.yaml'));
  const local = await runSuite({ suite, cacheDir: path.join(dir, 'local-cache'), resultsDir: path.join(dir, 'local-results'), log: () => {} });
  assert.equal(local.results.length, 6);

  const r = coordinator();
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /queue: 12 unit\(s\) to run \(6 extraction shard\(s\), 6 evaluation\(s\)\)/);

  const results = (root: string) => readTree(root, (f) => f.endsWith('.json') && f.split(path.sep).length === 3);
  const got = await results(path.join(dir, 'results'));
  const want = await results(path.join(dir, 'local-results'));
  assert.deepEqual([...got.keys()], [...want.keys()]);
  assert.equal(got.size, 6);
  for (const [f, v] of got) assert.deepEqual(stripVolatile(v.toString('utf8')), stripVolatile(want.get(f)!.toString('utf8')), `${f}: queue run differs from the local run`);

  const preds = (root: string) => readTree(root, (f) => f.includes('-predictions'));
  const gotPred = await preds(path.join(dir, 'results'));
  const wantPred = await preds(path.join(dir, 'local-results'));
  assert.deepEqual([...gotPred.keys()], [...wantPred.keys()]);
  for (const [k, v] of gotPred) assert.ok(v.equals(wantPred.get(k)!), `${k} differs`);

  const npy = (root: string) => readTree(path.join(root, 'features'), (f) => f.endsWith('.npy') && !f.includes('.tmp-'));
  const gotNpy = await npy(path.join(dir, 'cache'));
  const wantNpy = await npy(path.join(dir, 'local-cache'));
  assert.deepEqual([...gotNpy.keys()], [...wantNpy.keys()]);
  for (const [k, v] of gotNpy) assert.ok(v.equals(wantNpy.get(k)!), `${k} differs`);

  const status = spawnSync(process.execPath, [bin, 'queue', 'status', '--queue', redis!.url], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /^extract: 0 waiting · 0 active · 0 retrying · 6 done · 0 failed/m);
  assert.match(status.stdout, /^eval: 0 waiting · 0 active · 0 retrying · 6 done · 0 failed/m);
  t.diagnostic(status.stdout.trim());

  // Rerunning the finished suite on the queue enqueues nothing and reuses every result.
  const again = coordinator();
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /queue: 0 unit\(s\) to run/);
  assert.match(again.stderr, /0 split\(s\) extracted, 6 from cache/);
});
