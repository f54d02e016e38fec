/**
 * Redis unreachable or a malformed --queue URL: one clear line and exit 1 within seconds, from
 * `run --queue`, `worker` and `queue status` — never ioredis's retry-forever hang. Needs no
 * redis-server: the port is one nothing listens on.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkRedis, redisOptionsFromUrl } from '../../src/run/queue/connection.js';
import { MedprobeError } from '../../src/util/errors.js';
import { freePort } from './redis-fixture.js';
import { writePlanFixture } from '../run/plan-fixture.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(repo, 'bin/medprobe.js');
let dir: string;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-queue-err-'));
  await writePlanFixture(dir, { counts: [8, 4, 4] });
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number | null; stderr: string; seconds: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, MEDPROBE_QUIET: '1' } });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000); // a hang fails the test instead of stalling the suite
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

function expectOneLine(r: { code: number | null; stderr: string; seconds: number }, pattern: RegExp): void {
  // A hang would be killed at 30 s and show here as a null exit code.
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^medprobe: error: /);
  assert.match(lines[0], pattern);
}

test('nothing listening: run --queue, worker and queue status each fail in seconds with one line', async (t) => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  // The check itself, in-process: refused at once, well inside its 3 s connect timeout.
  const t0 = performance.now();
  await assert.rejects(checkRedis(url), /cannot reach Redis/);
  assert.ok(performance.now() - t0 < 3000, `checkRedis took ${(performance.now() - t0).toFixed(0)} ms`);
  // Through the CLI, whose start-up alone takes seconds on a busy 2-core box: report both, so a regression shows.
  const startup = await cli(['--version']);
  const [run, worker, status] = await Promise.all([
    cli(['run', 'suite.yaml', '--queue', url]),
    cli(['worker', '--queue', url]),
    cli(['queue', 'status', '--queue', url]),
  ]);
  for (const r of [run, worker, status]) expectOneLine(r, /cannot reach Redis at 127\.0\.0\.1:\d+ \(.*ECONNREFUSED.*\).*start redis-server there or fix --queue/);
  t.diagnostic(`CLI start-up ${startup.seconds.toFixed(1)} s; run --queue ${run.seconds.toFixed(1)} s, worker ${worker.seconds.toFixed(1)} s, queue status ${status.seconds.toFixed(1)} s (the three at once)`);
  // The coordinator checked Redis before planning: no results, no feature cache.
  await assert.rejects(fs.access(path.join(dir, 'results')));
});

test('malformed URLs are rejected before any connection attempt', async () => {
  expectOneLine(await cli(['run', 'suite.yaml', '--queue', 'http://127.0.0.1:6379']), /expected a redis:\/\/ or rediss:\/\/ URL, got http:/);
  // The rest in-process: the CLI prints exactly these messages, as the line above shows for one.
  const bad = (url: string, pattern: RegExp) => assert.throws(() => redisOptionsFromUrl(url), (e: unknown) => e instanceof MedprobeError && pattern.test(e.oneLine()) && !e.oneLine().includes('\n'));
  bad('localhost:6379', /expected a redis:\/\/ or rediss:\/\/ URL, got localhost:/);
  bad('not a url', /--queue not a url is not a URL/);
  bad('redis://127.0.0.1:6379/x', /database 'x' is not a number/);
  assert.deepEqual(redisOptionsFromUrl('rediss://u:p%40ss@cache.example:6380/2'), { host: 'cache.example', port: 6380, username: 'u', password: 'p@ss', db: 2, tls: {}, connectTimeout: 3000 });
});

test('a host that never answers times out in the given time', async () => {
  // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never routed, so the connect neither succeeds nor is refused quickly.
  const t0 = performance.now();
  await assert.rejects(checkRedis('redis://192.0.2.1:6379', 1000), (e: unknown) => e instanceof MedprobeError && /cannot reach Redis at 192\.0\.2\.1:6379/.test(e.oneLine()));
  assert.ok(performance.now() - t0 < 5000);
});
