/**
 * Redis unreachable or a malformed --queue URL: one clear line and exit 1, from
 * `run --queue`, `worker` and `queue status` — never ioredis's retry-forever hang. Needs no
 * redis-server: the port is one nothing listens on.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkRedis, redisOptionsFromUrl } from '../../src/run/queue/connection.js';
import { MedprobeError } from '../../src/util/errors.js';
import { freePort } from './redis-fixture.js';
import { writePlanFixture } from '../run/plan-fixture.js';
import { runCliCaptured, type CliOutcome } from '../helpers/run-cli.js';

let dir: string;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-queue-err-'));
  await writePlanFixture(dir, { counts: [8, 4, 4] });
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

// In-process: no child start-up and no kill timer, so a loaded machine cannot fail these tests.
// A hang (ioredis retrying forever) would still show, as a test that never ends.
const cli = (args: string[]) => runCliCaptured(args, { cwd: dir });

function expectOneLine(r: CliOutcome, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^medprobe: error: /);
  assert.match(lines[0], pattern);
}

test('nothing listening: run --queue, worker and queue status each fail with one line', async () => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  await assert.rejects(checkRedis(url), /cannot reach Redis/);
  for (const args of [['run', 'suite.yaml', '--queue', url], ['worker', '--queue', url], ['queue', 'status', '--queue', url]]) {
    expectOneLine(await cli(args), /cannot reach Redis at 127\.0\.0\.1:\d+ \(.*ECONNREFUSED.*\).*start redis-server there or fix --queue/);
  }
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
