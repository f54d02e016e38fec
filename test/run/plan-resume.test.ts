/**
 * Resumable runs through the real CLI: SIGKILL `medprobe run` right after its second shard entry, then again right after
 * its first result file (exact renames: test/helpers/kill-after-rename.mjs), rerun to the end, and compare with an uninterrupted run.
 * Results must be identical apart from timing and host fields; the rerun must start from the
 * shards the killed run finished (the dry run in between says so).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSuite } from '../../src/run/suite.js';
import { runSuite } from '../../src/run/runner.js';
import { CACHE_ENTRY, readTree, RESULT_FILE, runKilledAfterRename, stripVolatile, writePlanFixture } from './plan-fixture.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(repo, 'bin/medprobe.js');
let dir: string;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-resume-'));
  // 64 px inputs and 16-sample shards: dozens of shard units, so the kill lands mid-extraction.
  await writePlanFixture(dir, { counts: [480, 96, 96], size: 64, batchSize: 8 });
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const env = { ...process.env, MEDPROBE_QUIET: '1' };

const runKilledAfter = (target: RegExp, count = 1) => runKilledAfterRename(dir, ['run', 'suite.yaml', '--shard-size', '16'], target, count);

// Entries only: a `.tmp-*` directory holds its manifest just before the rename that makes it an entry.
const manifests = async () => [...(await readTree(path.join(dir, 'cache', 'features'), (r) => r.endsWith('manifest.json') && !r.includes('.tmp-'))).keys()];
const results = async () => [...(await readTree(path.join(dir, 'results'), (r) => r.endsWith('.json') && r.split(path.sep).length === 3)).keys()];

test('a run killed at any point resumes from finished shards and results, ending identical to an uninterrupted run', async () => {
  const suite = await loadSuite(path.join(dir, 'suite.yaml'));
  const reference = await runSuite({ suite, cacheDir: path.join(dir, 'ref-cache'), resultsDir: path.join(dir, 'ref-results'), shardSize: 16, log: () => {} });

  // 1. Killed mid-extraction: after two shard entries exist, before any result.
  assert.equal(await runKilledAfter(CACHE_ENTRY, 2), true, 'the run finished before it could be killed');
  assert.deepEqual(await results(), []);
  const dry = spawnSync(process.execPath, [bin, 'run', 'suite.yaml', '--shard-size', '16', '--dry-run'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(dry.status, 0, dry.stderr);
  const m = dry.stdout.match(/extraction: (\d+) shard unit\(s\), (\d+) cached, (\d+) to compute/);
  assert.ok(m, dry.stdout);
  assert.equal(Number(m[1]), 30 + 6 + 6);
  assert.ok(Number(m[2]) >= 2 && Number(m[3]) > 0, `resume point: ${m[0]}`);

  // 2. Killed again right after its first result file is written.
  assert.equal(await runKilledAfter(RESULT_FILE), true, 'the run finished before it could be killed');
  assert.equal((await results()).length, 1);

  // 3. Rerun to the end.
  const last = spawnSync(process.execPath, [bin, 'run', 'suite.yaml', '--shard-size', '16'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(last.status, 0, last.stderr);
  assert.match(last.stderr, /0 split\(s\) extracted, 3 from cache/);
  assert.match(last.stderr, /reused +tiny-cnn · pneumoniamnist · (knn|linear)/);
  const files = await results();
  assert.equal(files.length, 2);
  for (const f of files) {
    const a = await fs.readFile(path.join(dir, 'results', f), 'utf8');
    const b = await fs.readFile(path.join(dir, 'ref-results', f), 'utf8');
    assert.deepEqual(stripVolatile(a), stripVolatile(b), `${f} differs from the uninterrupted run`);
  }
  // Merged feature entries are byte-identical too, and no shard entry or torn file is left behind.
  // A kill inside a cache write can leave a `.tmp-*` directory: never read, so not compared.
  const npy = (r: string) => r.endsWith('.npy') && !r.includes('.tmp-');
  const got = await readTree(path.join(dir, 'cache', 'features'), npy);
  const want = await readTree(path.join(dir, 'ref-cache', 'features'), npy);
  assert.deepEqual([...got.keys()], [...want.keys()]);
  for (const [k, v] of got) assert.ok(v.equals(want.get(k)!), k);
  assert.equal(reference.results.length, 2);
});
