/**
 * Segmentation units resume like classification ones (plan-resume.test.ts), through the real CLI:
 * a suite of seg-linear, seg-unet and seg-fewshot on a DRIVE-layout folder and NIfTI volumes is
 * SIGKILLed right after its first feature-cache entry is written, then again right after its first prediction file
 * is written (inside an evaluation unit, before its result), and rerun to the end. Results,
 * prediction masks and cached grids must equal those of an uninterrupted run, bit for bit.
 * Kills happen at an exact rename (test/helpers/kill-after-rename.mjs), never after a delay.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSuite } from '../../src/run/suite.js';
import { runSuite } from '../../src/run/runner.js';
import { CACHE_ENTRY, readTree, runKilledAfterRename, stripVolatile } from './plan-fixture.js';
import { writeSegRunFixture } from './seg-fixture.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(repo, 'bin/medprobe.js');
const env = { ...process.env, MEDPROBE_QUIET: '1' };
let dir: string;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-seg-resume-'));
  await writeSegRunFixture(dir);
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const runKilledAfter = (target: RegExp) => runKilledAfterRename(dir, ['run', 'suite.yaml'], target);

const notTemp = (r: string) => !r.split(path.sep).some((p) => p.startsWith('.tmp-'));
// Entries only: a `.tmp-*` directory holds its manifest just before the rename that makes it an entry.
const manifests = async (cache = path.join(dir, 'cache')) => [...(await readTree(path.join(cache, 'features'), (r) => r.endsWith('manifest.json') && notTemp(r))).keys()];
const resultFiles = async (root: string) => [...(await readTree(root, (r) => r.endsWith('.json') && r.split(path.sep).length === 3)).keys()];

test('a seg suite killed during extraction and inside an evaluation resumes to results identical to an uninterrupted run', async (t) => {
  const suite = await loadSuite(path.join(dir, 'suite.yaml'));
  const reference = await runSuite({ suite, cacheDir: path.join(dir, 'ref-cache'), resultsDir: path.join(dir, 'ref-results'), log: () => {} });
  assert.equal(reference.results.length, 6);
  const splitEntries = (await manifests(path.join(dir, 'ref-cache'))).length;

  // 1. Killed once the first grid entry is in the cache: extraction of the first split under way, no result yet.
  assert.equal(await runKilledAfter(CACHE_ENTRY), true, 'the run finished before it could be killed');
  const dry = spawnSync(process.execPath, [bin, 'run', 'suite.yaml', '--dry-run'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(dry.status, 0, dry.stderr);
  const m = dry.stdout.match(/extraction: (\d+) shard unit\(s\), (\d+) cached, (\d+) to compute/);
  assert.ok(m, dry.stdout);
  assert.equal(Number(m[1]), 6, 'one unit per split of each dataset');
  assert.ok(Number(m[3]) > 0, `resume point: ${m[0]}`);

  // 2. Killed inside the evaluations: right after the first test prediction is written, before its unit's result.
  assert.equal(await runKilledAfter(/-predictions[^/]*\//), true, 'the run finished before it could be killed');
  const finished = (await resultFiles(path.join(dir, 'results'))).length;
  t.diagnostic(`second kill: ${finished} result(s) written, ${(await manifests()).length} of ${splitEntries} grid entries`);

  // 3. Rerun to the end: DRIVE's grids (evaluated before the kill) come from the cache, finished results are reused.
  const last = spawnSync(process.execPath, [bin, 'run', 'suite.yaml'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(last.status, 0, last.stderr);
  const feats = last.stderr.match(/(\d+) split\(s\) extracted, (\d+) from cache/);
  assert.ok(feats && Number(feats[2]) >= 3, last.stderr);
  assert.equal(last.stderr.match(/^reused /gm)?.length ?? 0, finished, last.stderr);

  const files = await resultFiles(path.join(dir, 'results'));
  assert.deepEqual(files, await resultFiles(path.join(dir, 'ref-results')));
  for (const f of files) {
    const a = await fs.readFile(path.join(dir, 'results', f), 'utf8');
    const b = await fs.readFile(path.join(dir, 'ref-results', f), 'utf8');
    assert.deepEqual(stripVolatile(a), stripVolatile(b), `${f} differs from the uninterrupted run`);
  }
  // Prediction masks (PNG, NIfTI) and overlays: byte-identical, and nothing else left beside them (no staging folder of a killed evaluation).
  const got = await readTree(path.join(dir, 'results'), (r) => r.includes('-predictions'));
  const want = await readTree(path.join(dir, 'ref-results'), (r) => r.includes('-predictions'));
  assert.deepEqual([...got.keys()], [...want.keys()]);
  assert.ok(got.size >= 2 * 2 * 2, 'masks of both test cases, both decoders, both datasets');
  for (const [k, v] of got) assert.ok(v.equals(want.get(k)!), `${k} differs`);
  // Cached grids: the same entries, byte-identical. A kill inside a cache write can leave a `.tmp-*` directory: never read.
  const npyGot = await readTree(path.join(dir, 'cache', 'features'), (r) => r.endsWith('.npy') && notTemp(r));
  const npyWant = await readTree(path.join(dir, 'ref-cache', 'features'), (r) => r.endsWith('.npy'));
  assert.deepEqual([...npyGot.keys()], [...npyWant.keys()]);
  assert.equal(npyGot.size, splitEntries);
  for (const [k, v] of npyGot) assert.ok(v.equals(npyWant.get(k)!), `${k} differs`);

  // 4. A changed seg-linear config reruns that unit over its finished result; killed inside it, the earlier
  // result and its masks stay as they were (new masks are staged apart until the new result is written).
  const text = await fs.readFile(path.join(dir, 'suite.yaml'), 'utf8');
  await fs.writeFile(path.join(dir, 'suite.yaml'), text.replace('"epochs": 4', '"epochs": 5'));
  assert.equal(await runKilledAfter(/\/\.tmp-seg-linear-predictions-/), true, 'the run finished before it could be killed');
  for (const f of ['tiny-vit/drive/seg-linear.json', 'tiny-vit/vols/seg-linear.json']) {
    assert.deepEqual(stripVolatile(await fs.readFile(path.join(dir, 'results', f), 'utf8')), stripVolatile(await fs.readFile(path.join(dir, 'ref-results', f), 'utf8')), f);
  }
  const kept = await readTree(path.join(dir, 'results'), (r) => r.includes('seg-linear-predictions') && notTemp(r));
  assert.deepEqual([...kept.keys()], [...want.keys()].filter((k) => k.includes('seg-linear-predictions')));
  for (const [k, v] of kept) assert.ok(v.equals(want.get(k)!), `${k} was overwritten by a run that never finished`);
});
