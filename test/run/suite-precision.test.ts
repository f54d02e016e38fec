/**
 * `precision` in a suite file: validated by the suite schema, applied to the suite's ONNX backbones
 * (and to queue workers, which read the suite), recorded in provenance.compute and in the
 * feature-cache keys as `--precision` is; fp32 (absent) keeps today's keys and results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSuite, parseSuite } from '../../src/run/suite.js';
import { planSuite, runSuite } from '../../src/run/runner.js';
import { writeTinyVitCard, writeTinyVitOnnx } from '../../src/models/fixtures/tiny-vit.js';
import { writePlanFixture } from './plan-fixture.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-suite-precision-'));
test.after(() => fs.rm(dir, { recursive: true, force: true }));

test('the suite schema takes fp32, fp16 and int8 and refuses anything else in one line', () => {
  const base = { models: [{ card: 'm.yaml' }], datasets: [{ source: 'medmnist', name: 'pneumoniamnist', file: 'p.npz' }], protocols: { knn: {} } };
  assert.equal(parseSuite(base, 's.yaml').precision, undefined);
  for (const p of ['fp32', 'fp16', 'int8'] as const) assert.equal(parseSuite({ ...base, precision: p }, 's.yaml').precision, p);
  assert.throws(() => parseSuite({ ...base, precision: 'bf16' }, 's.yaml'), (e: unknown) => /precision/.test(String((e as Error).message)) && /s\.yaml/.test(String((e as Error).message)));
});

test('precision: fp16 in a suite runs the fp16 backbone, records it and keys its features apart from fp32', async () => {
  await writePlanFixture(dir, { counts: [12, 6, 8] });
  await writeTinyVitOnnx(path.join(dir, 'vit.onnx'), { depth: 2 });
  await writeTinyVitCard(path.join(dir, 'vit.yaml'), path.join(dir, 'vit.onnx'), { depth: 2 });
  const yaml = (await fs.readFile(path.join(dir, 'suite.yaml'), 'utf8'))
    .replace('card: tiny.yaml', 'card: vit.yaml')
    .replace(/ {2}linear:\n(?: {4}.*\n)+/, '');
  await fs.writeFile(path.join(dir, 'fp32.yaml'), yaml);
  await fs.writeFile(path.join(dir, 'fp16.yaml'), yaml.replace('seed: 1\n', 'seed: 1\nprecision: fp16\n'));
  const quiet = (): void => {};
  const fp32 = await loadSuite(path.join(dir, 'fp32.yaml'));
  const fp16 = await loadSuite(path.join(dir, 'fp16.yaml'));
  assert.equal(fp16.suite.precision, 'fp16');
  const cacheDir = path.join(dir, 'cache');
  const p32 = await planSuite({ suite: fp32, cacheDir, resultsDir: path.join(dir, 'r32') });
  const p16 = await planSuite({ suite: fp16, cacheDir, resultsDir: path.join(dir, 'r16') });
  const keys = (p: typeof p32) => p.extract.flatMap((u) => Object.values(u.featureKeys));
  assert.equal(keys(p32).filter((k) => keys(p16).includes(k)).length, 0, 'fp16 features never share a cache key with fp32 ones');
  const a = await runSuite({ suite: fp32, cacheDir, resultsDir: path.join(dir, 'r32'), log: quiet });
  const b = await runSuite({ suite: fp16, cacheDir, resultsDir: path.join(dir, 'r16'), log: quiet });
  assert.equal(a.results[0].result.provenance.compute?.precision, undefined);
  assert.equal(b.results[0].result.provenance.compute?.precision, 'fp16');
  assert.equal(b.extractedSplits, 3, 'the fp16 run extracted its own features');
});
