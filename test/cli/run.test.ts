/**
 * End to end through the real CLI binary: a MedMNIST-shaped npz and a generated ONNX CNN,
 * `medprobe run` twice (the second must recompute no features and print identical numbers),
 * and every bad-input path of the v0 issue: one line on stderr, non-zero exit, no result files.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeNpz } from '../data/npz-fixture.js';
import { pneumoniaLike } from '../run/plan-fixture.js';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../../src/models/fixtures/tiny-cnn.js';
import { ResultSchema } from '../../src/results/schema.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(repo, 'bin/medprobe.js');
let dir: string;

function suiteYaml(extra: Partial<Record<'dataset' | 'model' | 'protocols' | 'top', string>> = {}): string {
  return `name: e2e
seed: 1
cacheDir: cache
resultsDir: results
${extra.top ?? ''}
models:
  - ${extra.model ?? 'card: tiny.yaml'}
datasets:
  - source: medmnist
    name: pneumoniamnist
    ${extra.dataset ?? 'file: pneumoniamnist.npz'}
protocols:
${extra.protocols ?? '  knn:\n    k: [5, 10]\n  linear:\n    lr: [0.1, 0.01]\n    epochs: 10'}
bootstrap:
  resamples: 200
`;
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, MEDPROBE_QUIET: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function listResults(): Promise<string[]> {
  const root = path.join(dir, 'results');
  try {
    const out: string[] = [];
    for (const e of await fs.readdir(root, { recursive: true })) if (String(e).endsWith('.json') && String(e).split(path.sep).length === 3) out.push(String(e));
    return out.sort();
  } catch {
    return [];
  }
}

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-cli-'));
  await writeNpz(path.join(dir, 'pneumoniamnist.npz'), pneumoniaLike([60, 20, 30]));
  await writeTinyCnnOnnx(path.join(dir, 'tiny.onnx'), { size: 32 });
  await writeTinyCnnCard(path.join(dir, 'tiny.yaml'), path.join(dir, 'tiny.onnx'), { size: 32 });
  await fs.writeFile(path.join(dir, 'suite.yaml'), suiteYaml());
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('run writes valid results and a leaderboard; a second run reuses cached features and prints identical numbers', async () => {
  const first = cli(['run', 'suite.yaml']);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /3 split\(s\) extracted, 0 from cache/);
  assert.match(first.stdout, /\| 1 \| tiny-cnn/);
  const files = await listResults();
  assert.deepEqual(files.map((f) => path.basename(f)), ['knn.json', 'linear.json']);
  for (const f of files) {
    const r = ResultSchema.parse(JSON.parse(await fs.readFile(path.join(dir, 'results', f), 'utf8')));
    assert.equal(r.predictions.ids.length, 30);
    assert.equal(r.predictions.scores.length, 30);
    assert.ok(r.metrics.auroc! > 0.9, `${f}: AUROC ${r.metrics.auroc} on an easy synthetic task`);
    assert.ok(r.ci?.auroc && r.ci.auroc.low <= r.metrics.auroc! && r.metrics.auroc! <= r.ci.auroc.high);
    assert.equal(r.provenance.seed, 1);
    assert.ok(Object.keys(r.provenance.files).some((p) => p.endsWith('tiny.onnx')));
    // Shareable provenance: paths relative to the working directory, no host name unless asked.
    assert.deepEqual(Object.keys(r.provenance.files).sort(), ['pneumoniamnist.npz', 'tiny.onnx']);
    assert.equal(r.provenance.host, undefined);
    assert.ok(r.selection.candidates.length >= 2);
  }
  const snapshot = await Promise.all(files.map((f) => fs.readFile(path.join(dir, 'results', f), 'utf8')));
  await fs.rm(path.join(dir, 'results'), { recursive: true });

  const second = cli(['run', 'suite.yaml']);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /0 split\(s\) extracted, 3 from cache/);
  assert.equal(second.stdout, first.stdout);
  const strip = (s: string) => {
    const j = JSON.parse(s);
    delete j.provenance.startedAt;
    delete j.provenance.wallSeconds;
    delete j.provenance.host;
    return j;
  };
  const again = await Promise.all(files.map((f) => fs.readFile(path.join(dir, 'results', f), 'utf8')));
  again.forEach((s, i) => assert.deepEqual(strip(s), strip(snapshot[i])));
  assert.ok((await fs.readFile(path.join(dir, 'results', 'leaderboard.md'), 'utf8')).includes('tiny-cnn'));

  const lb = cli(['leaderboard', 'results']);
  assert.equal(lb.status, 0, lb.stderr);
  assert.equal(lb.stdout, first.stdout);
});

/** Each bad input: exit code 1, exactly one stderr line naming the file, no result written. */
async function expectCleanFailure(name: string, files: Record<string, string | Uint8Array>, pattern: RegExp, args = ['run', 'bad.yaml']): Promise<void> {
  await fs.rm(path.join(dir, 'results'), { recursive: true, force: true });
  for (const [f, content] of Object.entries(files)) await fs.writeFile(path.join(dir, f), content);
  const r = cli(args);
  assert.equal(r.status, 1, `${name}: exit ${r.status}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${name}: expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^medprobe: error: /);
  assert.match(lines[0], pattern, name);
  assert.deepEqual(await listResults(), [], `${name}: no result may be written`);
}

test('bad inputs fail with one clear line, a non-zero exit and no partial results', async () => {
  const good = await fs.readFile(path.join(dir, 'pneumoniamnist.npz'));
  await expectCleanFailure('truncated npz', { 'trunc.npz': good.subarray(0, Math.floor(good.length / 2)), 'bad.yaml': suiteYaml({ dataset: 'file: trunc.npz' }) }, /trunc\.npz/);
  await expectCleanFailure('not a zip', { 'junk.npz': 'this is not a zip file', 'bad.yaml': suiteYaml({ dataset: 'file: junk.npz' }) }, /junk\.npz/);
  const missingKey = pneumoniaLike([4, 2, 2]);
  delete missingKey.val_labels;
  await writeNpz(path.join(dir, 'nokey.npz'), missingKey);
  await expectCleanFailure('missing key', { 'bad.yaml': suiteYaml({ dataset: 'file: nokey.npz' }) }, /nokey\.npz.*val_labels|val_labels.*nokey\.npz/);
  const mismatch = pneumoniaLike([4, 2, 2]);
  mismatch.train_labels = { data: new Uint8Array(3), shape: [3, 1] };
  await writeNpz(path.join(dir, 'mismatch.npz'), mismatch);
  await expectCleanFailure('label count', { 'bad.yaml': suiteYaml({ dataset: 'file: mismatch.npz' }) }, /mismatch\.npz.*(3|4)/);
  await expectCleanFailure('missing onnx', { 'nofile.yaml': (await fs.readFile(path.join(dir, 'tiny.yaml'), 'utf8')).replace('tiny.onnx', 'gone.onnx'), 'bad.yaml': suiteYaml({ model: 'card: nofile.yaml' }) }, /gone\.onnx/);
  await expectCleanFailure('input shape contradicts card', { 'wrongsize.yaml': (await fs.readFile(path.join(dir, 'tiny.yaml'), 'utf8')).replace('"NCHW"', '"NHWC"'), 'bad.yaml': suiteYaml({ model: 'card: wrongsize.yaml' }) }, /tiny\.onnx.*NHWC|NHWC.*tiny\.onnx/);
  await expectCleanFailure('card names an input the graph lacks', { 'wrongname.yaml': (await fs.readFile(path.join(dir, 'tiny.yaml'), 'utf8')).replace('"pixel_values"', '"pixels"'), 'bad.yaml': suiteYaml({ model: 'card: wrongname.yaml' }) }, /pixels/);
  await expectCleanFailure('unknown dataset', { 'bad.yaml': suiteYaml().replace('name: pneumoniamnist', 'name: pneumomnist') }, /unknown MedMNIST dataset 'pneumomnist'.*pneumoniamnist/);
  await expectCleanFailure('typo key', { 'bad.yaml': suiteYaml({ top: 'sed: 3' }) }, /unknown key 'sed'.*bad\.yaml.*did you mean 'seed'/);
  await expectCleanFailure('missing suite', {}, /nope\.yaml/, ['run', 'nope.yaml']);
});

test('run --limit --protocols --json: a class-balanced subset per split, only the named protocol, JSON on stdout, stored apart from the full run', async () => {
  const r = cli(['run', 'suite.yaml', '--limit', '8', '--protocols', 'knn', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { resultsDir: string; results: { protocol: string; file: string; metrics: Record<string, number> }[] };
  assert.equal(path.basename(out.resultsDir), 'results-limit-8');
  assert.deepEqual(out.results.map((x) => x.protocol), ['knn']);
  const result = ResultSchema.parse(JSON.parse(await fs.readFile(out.results[0].file, 'utf8')));
  assert.deepEqual(result.dataset.splitSizes, { train: 8, val: 8, test: 8 });
  // Classes taken in turn: both classes of the test split are present, so AUROC is defined.
  assert.equal(new Set(result.predictions.labels.map((l) => l[0])).size, 2);
  assert.ok(result.metrics.auroc !== null);
  const dry = cli(['run', 'suite.yaml', '--limit', '8', '--protocols', 'knn', '--dry-run', '--json']);
  assert.equal(dry.status, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as { limit: number; eval: { protocol: string; done: boolean; estimateBasis: string | null }[]; extract: { cached: boolean }[] };
  assert.equal(plan.limit, 8);
  assert.deepEqual(plan.eval.map((u) => [u.protocol, u.done]), [['knn', true]]);
  assert.ok(plan.extract.every((u) => u.cached));
  const bad = cli(['run', 'suite.yaml', '--protocols', 'knn,svm']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr.trim(), /^medprobe: error: --protocols svm: not a protocol of suite e2e.*this suite runs knn, linear/);
});
