/**
 * A segmentation suite (seg-linear, seg-unet, seg-fewshot on a DRIVE-layout folder and NIfTI
 * volumes) through `medprobe run --queue` and a real redis-server. One worker runs it until its
 * first test prediction is written, i.e. inside an evaluation unit, and is SIGKILLed there; a
 * second worker started then takes over the stalled unit and the rest. The results, prediction
 * masks and cached grids equal those of the same suite run in-process, bit for bit apart from
 * timing and host fields; a rerun enqueues nothing. The kill is triggered by a file appearing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Job, Queue } from 'bullmq';
import { bullConnection } from '../../src/run/queue/connection.js';
import type { UnitReturn } from '../../src/run/queue/worker.js';
import { loadSuite } from '../../src/run/suite.js';
import { runSuite } from '../../src/run/runner.js';
import { readTree, stripVolatile } from '../run/plan-fixture.js';
import { writeSegRunFixture } from '../run/seg-fixture.js';
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
  await writeSegRunFixture(dir);
  redis = await startRedis();
});

/** A worker with a 2 s lock: a unit of a killed worker is back in the queue within ~4 s instead of the default ~60. */
async function startWorker(name: string): Promise<ChildProcess> {
  const w = await spawnUntilReady(process.execPath, [bin, 'worker', '--queue', redis!.url, '--name', name, '--lock-ms', '2000'], /ready on/, { cwd: dir, env });
  workers.push(w);
  return w;
}
after(async () => {
  await Promise.all(workers.map((w) => stopChild(w)));
  await redis?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function coordinator(): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'run', 'suite.yaml', '--queue', redis!.url], { cwd: dir, env });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    const killer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('exit', (status) => {
      clearTimeout(killer);
      resolve({ status, stderr });
    });
  });
}

// Any prediction file, including those an evaluation writes into its staging folder before swapping it in.
const predictions = async () => (await readTree(path.join(dir, 'results'), (f) => f.includes('-predictions'))).size;

test('a seg suite on the queue, its worker killed inside an evaluation, gives the results of a local run, bit for bit', { skip: REDIS_SKIP }, async (t) => {
  const suite = await loadSuite(path.join(dir, 'suite.yaml'));
  const local = await runSuite({ suite, cacheDir: path.join(dir, 'local-cache'), resultsDir: path.join(dir, 'local-results'), log: () => {} });
  assert.equal(local.results.length, 6);

  const w0 = await startWorker('w0');
  const run = coordinator();
  while ((await predictions()) === 0) {
    assert.equal(w0.exitCode, null, 'w0 exited');
    await new Promise((r) => setTimeout(r, 10));
  }
  w0.kill('SIGKILL');
  await new Promise((r) => w0.once('exit', r));
  // The evaluation w0 held when it died, if it was inside one (it may just have finished it).
  const evalQueue = new Queue('medprobe-eval', { connection: bullConnection(redis!.url) });
  let held: string | undefined;
  try {
    held = (await evalQueue.getActive()).find((j) => j.processedBy === 'w0')?.id;
    t.diagnostic(held ? `w0 killed holding eval unit ${held.slice(0, 12)}` : 'w0 killed between units');
    await startWorker('w1');
    const r = await run;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /queue: 12 unit\(s\) to run \(6 extraction shard\(s\), 6 evaluation\(s\)\)/);
    if (held) assert.equal(((await Job.fromId(evalQueue, held))!.returnvalue as UnitReturn).worker, 'w1', 'the killed worker’s unit was finished by the other one');
  } finally {
    await evalQueue.close();
  }

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
  assert.match(status.stdout, /^ {2}w1: 0 active, [1-6] done, 0 failed/m);
  t.diagnostic(status.stdout.trim());

  // Rerunning the finished suite on the queue enqueues nothing and reuses every result.
  const again = await coordinator();
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /queue: 0 unit\(s\) to run/);
  assert.match(again.stderr, /0 split\(s\) extracted, 6 from cache/);
});
