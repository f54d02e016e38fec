/**
 * The queue under load and under failing units, on a real redis-server: 1000 trivial units
 * through 4 worker processes complete with none lost or duplicated; a unit failing with bad
 * input is failed once (not retried) and reported while the rest completes; a transient error
 * is retried with backoff until it passes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Job, Queue } from 'bullmq';
import { runUnitsOnQueue, type QueuedUnit } from '../../src/run/queue/coordinator.js';
import { bullConnection } from '../../src/run/queue/connection.js';
import { REDIS_SKIP, spawnUntilReady, startRedis, stopChild, type RedisFixture } from './redis-fixture.js';

const here = path.dirname(new URL(import.meta.url).pathname);
let redis: RedisFixture | undefined;
let dir: string;
const workers: ChildProcess[] = [];

before(async () => {
  if (REDIS_SKIP) return;
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-queue-load-'));
  redis = await startRedis();
  const started = await Promise.all(
    [0, 1, 2, 3].map((i) => spawnUntilReady(process.execPath, ['--import', 'tsx', path.join(here, 'touch-worker.ts'), redis!.url, dir, `w${i}`], /ready w\d/)),
  );
  workers.push(...started);
});
after(async () => {
  await Promise.all(workers.map((w) => stopChild(w)));
  await redis?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

test('1000 units through 4 workers: every unit runs exactly once', { skip: REDIS_SKIP }, async (t) => {
  const units: QueuedUnit[] = Array.from({ length: 1000 }, (_, i) => ({ key: `load-${i}`, kind: 'touch', data: { id: `load-${i}` } }));
  const t0 = performance.now();
  const outcome = await runUnitsOnQueue(units, { url: redis!.url, prefix: 'test', pollMs: 100 });
  const seconds = (performance.now() - t0) / 1000;
  t.diagnostic(`1000 units in ${seconds.toFixed(1)} s: ${(1000 / seconds).toFixed(0)} units/s through 4 workers`);
  assert.equal(outcome.failed.size, 0, [...outcome.failed.values()].join('; '));
  assert.equal(outcome.completed.size, 1000);
  const files = (await fs.readdir(dir)).filter((f) => f.startsWith('load-'));
  assert.equal(files.length, 1000, 'a unit was lost');
  const perWorker = new Map<string, number>();
  for (const f of files) {
    const lines = (await fs.readFile(path.join(dir, f), 'utf8')).trim().split('\n');
    assert.equal(lines.length, 1, `${f} ran ${lines.length} times (${lines.join(', ')})`);
    perWorker.set(lines[0], (perWorker.get(lines[0]) ?? 0) + 1);
  }
  t.diagnostic(`units per worker: ${[...perWorker].map(([w, n]) => `${w} ${n}`).join(', ')}`);
  assert.ok(perWorker.size >= 2, 'the load was spread over workers');
  // Re-enqueueing finished work under the same keys is harmless: the caller passes only
  // unfinished units, and a live job under a key is adopted, never duplicated.
  const again = await runUnitsOnQueue(units.slice(0, 3), { url: redis!.url, prefix: 'test', pollMs: 50 });
  assert.equal(again.completed.size, 3);
});

test('bad input fails once and is reported while the rest completes; a transient error is retried', { skip: REDIS_SKIP }, async () => {
  const units: QueuedUnit[] = [
    { key: 'mixed-bad', kind: 'touch', data: { id: 'mixed-bad', fail: 'bad-input' } },
    { key: 'mixed-flaky', kind: 'touch', data: { id: 'mixed-flaky', fail: 'flaky' } },
    { key: 'mixed-after-bad', kind: 'touch', data: { id: 'mixed-after-bad' }, after: ['mixed-bad'] },
    ...Array.from({ length: 20 }, (_, i) => ({ key: `mixed-${i}`, kind: 'touch', data: { id: `mixed-${i}` } })),
  ];
  const outcome = await runUnitsOnQueue(units, { url: redis!.url, prefix: 'test', pollMs: 50, attempts: 3, backoffMs: 50 });
  assert.equal(outcome.completed.size, 21);
  assert.deepEqual([...outcome.failed.keys()].sort(), ['mixed-after-bad', 'mixed-bad']);
  assert.match(outcome.failed.get('mixed-bad')!, /unit mixed-bad: bad input file — fix it/);
  assert.match(outcome.failed.get('mixed-after-bad')!, /not run: unit mixed-bad/);
  const q = new Queue('test-touch', { connection: bullConnection(redis!.url) });
  try {
    assert.equal((await Job.fromId(q, 'mixed-bad'))!.attemptsMade, 1, 'a MedprobeError must not be retried');
    assert.equal((await Job.fromId(q, 'mixed-flaky'))!.attemptsMade, 3, 'two transient failures, then success');
  } finally {
    await q.close();
  }
  await assert.rejects(fs.access(path.join(dir, 'mixed-bad')));
  assert.equal((await fs.readFile(path.join(dir, 'mixed-flaky'), 'utf8')).trim().split('\n').length, 1);
});

test('a coordinator stopped mid-run leaves its units to the workers; a rerun adopts the rest, none runs twice', { skip: REDIS_SKIP }, async () => {
  // 30 ms per unit: 300 units need ≥ 280 ms on 4 × 8 slots, so the stop below lands midway even on a fast machine.
  const units: QueuedUnit[] = Array.from({ length: 300 }, (_, i) => ({ key: `stop-${i}`, kind: 'touch', data: { id: `stop-${i}`, delayMs: 30 } }));
  const stop = new AbortController();
  const first = await runUnitsOnQueue(units, {
    url: redis!.url,
    prefix: 'test',
    pollMs: 20,
    signal: stop.signal,
    onProgress: (p) => {
      if (p.completed >= 10) stop.abort(); // what Ctrl-C does in `medprobe run --queue`
    },
  });
  assert.equal(first.aborted, true);
  // The rerun's plan holds only units whose output is still missing, as `medprobe run` replans from disk.
  const exists = async (id: string) => fs.access(path.join(dir, id)).then(() => true, () => false);
  const left = [];
  for (const u of units) if (!(await exists(u.key))) left.push(u);
  const second = await runUnitsOnQueue(left, { url: redis!.url, prefix: 'test', pollMs: 50 });
  assert.equal(second.failed.size, 0);
  assert.equal(second.completed.size, left.length);
  for (const u of units) assert.equal((await fs.readFile(path.join(dir, u.key), 'utf8')).trim().split('\n').length, 1, `${u.key} ran more than once`);
});
