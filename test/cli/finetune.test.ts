/**
 * Fine-tuning end to end through the CLI (in-process): a generated tiny ViT and a tiny
 * PneumoniaMNIST-shaped npz, `medprobe run` on a suite with lora + bitfit. Fine-tuning trains on
 * the images, so the plan extracts no features for it; a mixed suite extracts only for its
 * frozen protocols. A rerun reuses the results; a lost result retrains from its checkpoints.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeNpz } from '../data/npz-fixture.js';
import { pneumoniaLike, stripVolatile } from '../run/plan-fixture.js';
import { writeTinyVitCard, writeTinyVitOnnx } from '../../src/models/fixtures/tiny-vit.js';
import { ResultSchema } from '../../src/results/schema.js';
import { runCliCaptured } from '../helpers/run-cli.js';

const VIT = { size: 16, patchSize: 8, dim: 16, depth: 2, heads: 2, seed: 4 };
let dir: string;

function suiteYaml(name: string, protocols: string): string {
  return `name: ${name}
seed: 1
cacheDir: cache
resultsDir: results-${name}
models:
  - card: vit.json
datasets:
  - source: medmnist
    name: pneumoniamnist
    file: pneumoniamnist.npz
protocols:
${protocols}
bootstrap:
  resamples: 50
`;
}

const FINETUNE = `  lora:
    lr: [0.01, 0.0000001]
    rank: 4
    epochs: 2
    batchSize: 4
  bitfit:
    lr: [0.01, 0.0000001]
    epochs: 2
    batchSize: 4`;

const resultFile = (name: string, protocol: string) => path.join(dir, `results-${name}`, 'tiny-vit', 'pneumoniamnist', `${protocol}.json`);

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-ft-cli-'));
  await writeNpz(path.join(dir, 'pneumoniamnist.npz'), pneumoniaLike([16, 12, 10]));
  await writeTinyVitOnnx(path.join(dir, 'vit.onnx'), VIT);
  await writeTinyVitCard(path.join(dir, 'vit.json'), path.join(dir, 'vit.onnx'), VIT);
  await fs.writeFile(path.join(dir, 'ft.yaml'), suiteYaml('ft', FINETUNE));
  await fs.writeFile(path.join(dir, 'mixed.yaml'), suiteYaml('mixed', `  knn:\n    k: [3]\n${FINETUNE}`));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

// One test: the in-process CLI captures stdout, where node's test runner also reports between tests.
test('a fine-tuning-only suite plans no extraction (a mixed one only for its frozen protocols) and runs lora + bitfit end to end', async () => {
  const ft = await runCliCaptured(['run', 'ft.yaml', '--dry-run'], { cwd: dir });
  assert.equal(ft.code, 0, ft.stderr);
  assert.match(ft.stdout + ft.stderr, /extraction: 0 shard unit\(s\)/);
  assert.match(ft.stdout + ft.stderr, /evaluation: 2 unit\(s\)/);
  const mixed = await runCliCaptured(['run', 'mixed.yaml', '--dry-run'], { cwd: dir });
  assert.equal(mixed.code, 0, mixed.stderr);
  assert.match(mixed.stdout + mixed.stderr, /extraction: 3 shard unit\(s\), 0 cached, 3 to compute/);
  assert.match(mixed.stdout + mixed.stderr, /evaluation: 3 unit\(s\)/);

  // lora + bitfit end to end: lr chosen on val, parameter counts, a reused rerun, a retrain from checkpoints.
  const first = await runCliCaptured(['run', 'ft.yaml'], { cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /0 split\(s\) extracted, 0 from cache/);
  assert.deepEqual(await fs.readdir(path.join(dir, 'cache', 'features')).catch(() => []), [], 'no feature-cache entries');
  const snapshot: Record<string, string> = {};
  for (const protocol of ['lora', 'bitfit']) {
    const text = await fs.readFile(resultFile('ft', protocol), 'utf8');
    snapshot[protocol] = text;
    const r = ResultSchema.parse(JSON.parse(text));
    assert.equal(r.protocol.name, protocol);
    assert.equal(r.predictions.ids.length, 10);
    assert.equal(r.selection.split, 'val');
    assert.deepEqual(r.selection.candidates.map((c) => c.params.lr), [0.01, 1e-7]);
    // lr 1e-7 barely moves the random head: the grid's larger lr wins on val.
    assert.deepEqual(r.selection.chosen, { lr: 0.01 }, JSON.stringify(r.selection.candidates));
    const counts = (r.extra as { parameters: { trainable: number; total: number } }).parameters;
    assert.ok(counts.trainable > 0 && counts.trainable < counts.total, JSON.stringify(counts));
    assert.ok(r.ci?.auroc && r.ci.auroc.low <= r.metrics.auroc! && r.metrics.auroc! <= r.ci.auroc.high);
    assert.deepEqual(r.provenance.featureCacheKeys, {});
  }
  // LoRA rank 4 on qkv + proj of 2 blocks (dim 16) + head vs BitFit's biases + head: different counts.
  const count = (p: string) => (JSON.parse(snapshot[p]).extra.parameters as { trainable: number }).trainable;
  assert.notEqual(count('lora'), count('bitfit'));

  // Same suite again: both results reused, nothing trained.
  const second = await runCliCaptured(['run', 'ft.yaml'], { cwd: dir });
  assert.equal(second.code, 0, second.stderr);
  assert.equal((second.stderr.match(/reused /g) ?? []).length, 2, second.stderr);
  assert.doesNotMatch(second.stderr, /epoch \d/);
  const leaderboard = (out: string) => out.slice(out.indexOf('# medprobe leaderboard'));
  assert.ok(leaderboard(first.stdout).includes('## lora'));
  assert.equal(leaderboard(second.stdout), leaderboard(first.stdout));

  // A run killed after training (result lost, checkpoints kept) resumes from the last epoch's checkpoints;
  // a checkpoint that is gone is retrained from scratch, to the same numbers.
  await fs.rm(resultFile('ft', 'lora'));
  const ckDirs = await fs.readdir(path.join(dir, 'cache', 'finetune'));
  const loraCk = [];
  for (const d of ckDirs) if ((await fs.readdir(path.join(dir, 'cache', 'finetune', d))).includes('lr-1e-7.ckpt')) loraCk.push(d);
  assert.equal(loraCk.length, 2, 'one checkpoint folder per fine-tuning unit');
  await fs.rm(resultFile('ft', 'bitfit'));
  for (const d of loraCk) await fs.rm(path.join(dir, 'cache', 'finetune', d, 'lr-1e-7.ckpt'));
  const third = await runCliCaptured(['run', 'ft.yaml'], { cwd: dir });
  assert.equal(third.code, 0, third.stderr);
  assert.equal((third.stderr.match(/lr 0\.01: resumed after epoch 2/g) ?? []).length, 2, third.stderr);
  assert.match(third.stderr, /lr 1e-7 epoch 2\/2/);
  for (const protocol of ['lora', 'bitfit']) {
    assert.deepEqual(stripVolatile(await fs.readFile(resultFile('ft', protocol), 'utf8')), stripVolatile(snapshot[protocol]), protocol);
  }
});
