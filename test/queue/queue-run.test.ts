/**
 * A suite through `medprobe run --queue` on 3 `medprobe worker` processes and a real
 * redis-server: one worker is SIGKILLed while it holds an extraction shard; its shard is
 * retried on another worker (stalled-job recovery), and the results are identical, apart from
 * timing and host fields, to the same suite run in-process. `medprobe queue status` then shows
 * the per-worker counts.
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
import { readTree, stripVolatile, writePlanFixture } from '../run/plan-fixture.js';
import { REDIS_SKIP, spawnUntilReady, startRedis, stopChild, type RedisFixture } from './redis-fixture.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(repo, 'bin/medprobe.js');
const env = { ...process.env, MEDPROBE_QUIET: '1' };
let redis: RedisFixture | undefined;
let dir: string;
const workers = new Map<string, ChildProcess>();

before(async () => {
  if (REDIS_SKIP) return;
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-queue-run-'));
  await writePlanFixture(dir, { counts: [480, 96, 96], size: 64, batchSize: 8 });
  redis = await startRedis();
  const names = ['w0', 'w1', 'w2'];
  // A 2 s lock: a killed worker's unit is back in the queue within ~4 s instead of the default ~60.
  const started = await Promise.all(names.map((n) => spawnUntilReady(process.execPath, [bin, 'worker', '--queue', redis!.url, '--name', n, '--lock-ms', '2000'], /ready on/, { cwd: dir, env })));
  names.forEach((n, i) => workers.set(n, started[i]));
});
after(async () => {
  await Promise.all([...workers.values()].map((w) => stopChild(w)));
  await redis?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function runCoordinator(): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'run', 'suite.yaml', '--queue', redis!.url, '--shard-size', '16'], { cwd: dir, env });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    });
  });
}

test('a worker killed mid-extraction: its shard is retried elsewhere and results equal a local run', { skip: REDIS_SKIP }, async (t) => {
  const suite = await loadSuite(path.join(dir, 'suite.yaml'));
  await runSuite({ suite, cacheDir: path.join(dir, 'local-cache'), resultsDir: path.join(dir, 'local-results'), shardSize: 16, log: () => {} });

  const coordinator = runCoordinator();
  // Find a worker holding an extraction shard and SIGKILL it.
  const q = new Queue('medprobe-extract', { connection: bullConnection(redis!.url) });
  let killed: { worker: string; job: string } | undefined;
  try {
    const deadline = Date.now() + 60_000;
    while (!killed && Date.now() < deadline) {
      for (const job of await q.getActive()) {
        const w = job.processedBy && workers.get(job.processedBy);
        if (w) {
          w.kill('SIGKILL');
          workers.delete(job.processedBy!);
          killed = { worker: job.processedBy!, job: job.id! };
          break;
        }
      }
      if (!killed) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(killed, 'no worker was ever seen holding an extraction shard');
    t.diagnostic(`killed ${killed.worker} holding ${killed.job.slice(0, 12)}`);

    const r = await coordinator;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /queue: 44 unit\(s\) to run \(42 extraction shard\(s\), 2 evaluation\(s\)\)/);
    const redone = (await Job.fromId(q, killed.job))!;
    assert.notEqual((redone.returnvalue as UnitReturn).worker, killed.worker, 'the killed worker’s shard was finished by another worker');
  } finally {
    await q.close();
  }

  for (const f of ['tiny-cnn/pneumoniamnist/knn.json', 'tiny-cnn/pneumoniamnist/linear.json']) {
    const a = await fs.readFile(path.join(dir, 'results', f), 'utf8');
    const b = await fs.readFile(path.join(dir, 'local-results', f), 'utf8');
    assert.deepEqual(stripVolatile(a), stripVolatile(b), `${f}: queue run differs from the local run`);
  }
  const npy = (r: string) => r.endsWith('.npy') && !r.includes('.tmp-');
  const got = await readTree(path.join(dir, 'cache', 'features'), npy);
  const want = await readTree(path.join(dir, 'local-cache', 'features'), npy);
  assert.deepEqual([...got.keys()], [...want.keys()], 'merged entries only, no shard left behind');
  for (const [k, v] of got) assert.ok(v.equals(want.get(k)!), `${k} differs`);

  const status = spawnSync(process.execPath, [bin, 'queue', 'status', '--queue', redis!.url], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /^extract: 0 waiting · 0 active · 0 retrying · 42 done · 0 failed/m);
  assert.match(status.stdout, /^eval: 0 waiting · 0 active · 0 retrying · 2 done · 0 failed/m);
  assert.match(status.stdout, /^ {2}w\d: 0 active, \d+ done, 0 failed, [\d.]+ units\/s/m);
  t.diagnostic(status.stdout.trim());

  // Rerunning the finished suite on the queue enqueues nothing and reuses every result.
  const again = await runCoordinator();
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /queue: 0 unit\(s\) to run/);
  assert.match(again.stderr, /0 split\(s\) extracted, 3 from cache/);
});
