/**
 * The run plan in-process: shard boundaries, sharded extraction merged bit-identically to an
 * unsharded one (features.npy bytes and result JSONs), and what `--dry-run` reports before and
 * after a run, with and without a measured throughput.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSuite } from '../../src/run/suite.js';
import { planSuite, runSuite } from '../../src/run/runner.js';
import { describePlan, estimateSeconds, shardRanges, shardStep } from '../../src/run/plan.js';
import { hostId, recordThroughput } from '../../src/models/throughput.js';
import { readTree, stripVolatile, writePlanFixture } from './plan-fixture.js';

let dir: string;
const quiet = () => {};

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-plan-'));
  await writePlanFixture(dir, { counts: [60, 20, 30], batchSize: 8 });
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('2D shards are whole batches; 3D shards split between volumes; the last shard is short', () => {
  // 60 samples, shard size 10 with batch 8 → step rounded up to 16: [0,16) [16,32) [32,48) [48,60).
  assert.equal(shardStep(10, 8, 2), 16);
  assert.deepEqual(
    shardRanges(60, 16).map((r) => [r.start, r.end]),
    [[0, 16], [16, 32], [32, 48], [48, 60]],
  );
  assert.ok(shardRanges(60, 16).every((r) => r.count === 4));
  assert.equal(shardStep(10, 8, 3), 10);
  assert.deepEqual(shardRanges(5, 2048), [{ index: 0, count: 1, start: 0, end: 5 }]);
  assert.deepEqual(shardRanges(0, 16), [{ index: 0, count: 1, start: 0, end: 0 }]);
});

test('a sharded run merges into feature entries and results bit-identical to an unsharded run', async () => {
  const suite = await loadSuite(path.join(dir, 'suite.yaml'));
  const sharded = await runSuite({ suite, cacheDir: path.join(dir, 'c-sharded'), resultsDir: path.join(dir, 'r-sharded'), shardSize: 10, log: quiet });
  const whole = await runSuite({ suite, cacheDir: path.join(dir, 'c-whole'), resultsDir: path.join(dir, 'r-whole'), log: quiet });
  assert.equal(sharded.extractedSplits, 3);
  const npy = (rel: string) => rel.endsWith('.npy');
  const a = await readTree(path.join(dir, 'c-sharded', 'features'), npy);
  const b = await readTree(path.join(dir, 'c-whole', 'features'), npy);
  // Same entries (shard entries are removed once merged) with the same bytes.
  assert.deepEqual([...a.keys()], [...b.keys()]);
  assert.equal(a.size, 3);
  for (const [k, bytes] of a) assert.ok(bytes.equals(b.get(k)!), `${k} differs between sharded and unsharded extraction`);
  // The manifests agree on everything but timing.
  for (const k of a.keys()) {
    const m = (root: string) => JSON.parse(readFileSync(path.join(dir, root, 'features', path.dirname(k), 'manifest.json'), 'utf8'));
    const ma = m('c-sharded');
    const mb = m('c-whole');
    for (const f of ['createdAt', 'extractSeconds']) {
      delete ma[f];
      delete mb[f];
    }
    assert.deepEqual(ma, mb);
  }
  assert.equal(sharded.results.length, 2);
  for (let i = 0; i < 2; i++) {
    const ra = await fs.readFile(sharded.results[i].file, 'utf8');
    const rb = await fs.readFile(whole.results[i].file, 'utf8');
    assert.deepEqual(stripVolatile(ra), stripVolatile(rb));
  }
});

test('dry run: units, cached vs to compute, and an ETA only from recorded history ("no history" otherwise)', async () => {
  const suite = await loadSuite(path.join(dir, 'suite.yaml'));
  const cacheDir = path.join(dir, 'c-dry');
  const resultsDir = path.join(dir, 'r-dry');
  const fresh = await planSuite({ suite, cacheDir, resultsDir, shardSize: 16 });
  // train 60 → 4 shards, val 20 → 2, test 30 → 2; two protocols.
  assert.equal(fresh.extract.length, 8);
  assert.equal(fresh.eval.length, 2);
  assert.ok(fresh.extract.every((u) => !u.cached));
  assert.ok(fresh.eval.every((u) => !u.done && u.dependsOn.length === 8));
  assert.equal(new Set([...fresh.extract, ...fresh.eval].map((u) => u.key)).size, 10, 'unit keys are unique');
  let text = describePlan(fresh).join('\n');
  assert.match(text, /extraction: 8 shard unit\(s\), 0 cached, 8 to compute \(110 model inputs\)/);
  assert.match(text, /evaluation: 2 unit\(s\), 0 done, 2 to run/);
  assert.match(text, /estimated extraction time: no history for /);
  assert.match(text, /estimated evaluation time: no history/);
  assert.match(text, /estimated run time: unknown \(no history\)/);

  // A throughput measured on this host for this model at the threads the plan uses → an estimate: 110 / 55 = 2 s.
  const m = fresh.models[0];
  await recordThroughput(cacheDir, { fingerprint: m.fingerprint, inputSize: m.inputSize, threads: os.availableParallelism(), host: hostId(), model: m.name, runtime: 'test', imagesPerSecond: 55, batchSize: 8, batches: 1, measuredAt: new Date(0).toISOString() });
  const measured = await planSuite({ suite, cacheDir, resultsDir, shardSize: 16 });
  assert.equal(estimateSeconds(measured).seconds, 2);
  assert.match(describePlan(measured).join('\n'), /estimated extraction time: 2 s \(throughput measured by medprobe models bench on this host\)/);
  assert.match(describePlan(measured).join('\n'), /estimated run time: at least 2 s/);

  // Same keys on replanning; after the run everything is cached and done.
  assert.deepEqual(measured.extract.map((u) => u.key), fresh.extract.map((u) => u.key));
  await runSuite({ suite, cacheDir, resultsDir, shardSize: 16, log: quiet });
  const after_ = await planSuite({ suite, cacheDir, resultsDir, shardSize: 16 });
  assert.ok(after_.extract.every((u) => u.cached) && after_.eval.every((u) => u.done));
  text = describePlan(after_).join('\n');
  assert.match(text, /8 cached, 0 to compute/);
  assert.match(text, /2 done, 0 to run/);
  assert.match(text, /estimated extraction time: 0 s \(all features cached\)/);
  assert.match(text, /estimated evaluation time: 0 s \(all results done\)/);

  // The run recorded its own extraction speed and evaluation times: a new results folder gets an
  // evaluation ETA from the same units, and a new cache on this host an extraction ETA from the run.
  const again = await planSuite({ suite, cacheDir, resultsDir: path.join(dir, 'r-dry-2'), shardSize: 16 });
  assert.ok(again.eval.every((u) => !u.done && u.estimate?.basis === 'same unit' && u.estimate.seconds >= 0));
  assert.match(describePlan(again).join('\n'), /estimated evaluation time: \d+ s \(earlier evaluations on this host\)/);
  const throughput = JSON.parse(readFileSync(path.join(cacheDir, 'throughput.json'), 'utf8')) as { records: { source?: string; imagesPerSecond: number }[] };
  assert.ok(throughput.records.some((r) => r.source === 'run' && r.imagesPerSecond > 0), 'the run stored its own throughput');
  const history = JSON.parse(readFileSync(path.join(cacheDir, 'eval-history.json'), 'utf8')) as { records: unknown[] };
  assert.equal(history.records.length, 2, 'one record per evaluation unit');
});

test('3D: volume shards merge into the same slice features and offsets as an unsharded extraction', async () => {
  const { writeNpz } = await import('../data/npz-fixture.js');
  const { createRng } = await import('../../src/util/random.js');
  const rng = createRng(5);
  const arrays: Record<string, { data: Uint8Array; shape: number[] }> = {};
  for (const [split, n] of [['train', 7], ['val', 4], ['test', 4]] as const) {
    const vox = new Uint8Array(n * 28 ** 3);
    for (let i = 0; i < vox.length; i++) vox[i] = Math.floor(rng.next() * 256);
    arrays[`${split}_images`] = { data: vox, shape: [n, 28, 28, 28] };
    arrays[`${split}_labels`] = { data: Uint8Array.from({ length: n }, (_, i) => i % 2), shape: [n, 1] };
  }
  await writeNpz(path.join(dir, 'adrenal.npz'), arrays);
  const yaml = (await fs.readFile(path.join(dir, 'suite.yaml'), 'utf8'))
    .replace('name: pneumoniamnist', 'name: adrenalmnist3d')
    .replace('file: pneumoniamnist.npz', 'file: adrenal.npz')
    .replace(/knn:\n {4}k: \[5, 10\]/, 'knn:\n    k: [3]')
    .replace(/ {2}linear:\n(?: {4}.*\n)+/, '');
  await fs.writeFile(path.join(dir, 'suite3d.yaml'), yaml);
  const suite = await loadSuite(path.join(dir, 'suite3d.yaml'));
  const plan = await planSuite({ suite, cacheDir: path.join(dir, 'c3-sharded'), resultsDir: path.join(dir, 'r3-sharded'), shardSize: 3 });
  // 7 volumes in shards of 3 → 3 shards; val and test 2 each; 28 axial slices per volume.
  assert.deepEqual(plan.extract.map((u) => [u.split, u.shard.start, u.shard.end, u.images]), [
    ['train', 0, 3, 84], ['train', 3, 6, 84], ['train', 6, 7, 28], ['val', 0, 3, 84], ['val', 3, 4, 28], ['test', 0, 3, 84], ['test', 3, 4, 28],
  ]);
  const a = await runSuite({ suite, cacheDir: path.join(dir, 'c3-sharded'), resultsDir: path.join(dir, 'r3-sharded'), shardSize: 3, log: quiet });
  const b = await runSuite({ suite, cacheDir: path.join(dir, 'c3-whole'), resultsDir: path.join(dir, 'r3-whole'), log: quiet });
  const npy = (rel: string) => rel.endsWith('.npy');
  const ta = await readTree(path.join(dir, 'c3-sharded', 'features'), npy);
  const tb = await readTree(path.join(dir, 'c3-whole', 'features'), npy);
  assert.deepEqual([...ta.keys()], [...tb.keys()]);
  assert.equal([...ta.keys()].filter((k) => k.endsWith('offsets.npy')).length, 3);
  for (const [k, bytes] of ta) assert.ok(bytes.equals(tb.get(k)!), `${k} differs`);
  assert.deepEqual(stripVolatile(await fs.readFile(a.results[0].file, 'utf8')), stripVolatile(await fs.readFile(b.results[0].file, 'utf8')));
});
