/**
 * Image folders + CSV as a suite dataset (`source: folder`) through the real CLI: `medprobe run`
 * with the tiny CNN under onError skip and stop, patient overlap as a loud failure, planted
 * duplicates caught by `data check`, `data doctor` on a fake folder, and `data splits` round trips.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../../src/models/fixtures/tiny-cnn.js';
import { ResultSchema } from '../../src/results/schema.js';
import { createRng } from '../../src/util/random.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(repo, 'bin/medprobe.js');
let dir: string;

const PATIENTS = 24;

function png(size: number, data: Uint8Array | Uint16Array, bitDepth: 8 | 16): Buffer {
  return PNG.sync.write({ width: size, height: size, data: data as unknown as Buffer } as PNG, { bitDepth, colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** Class 1: a bright disc on noise; class 0: noise only. `scale` 257 turns it into full-range 16-bit. */
function picture(label: number, seed: number, bitDepth: 8 | 16 = 8): Buffer {
  const rng = createRng(seed);
  const size = 32;
  const px = bitDepth === 16 ? new Uint16Array(size * size) : new Uint8Array(size * size);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) {
      const inDisc = (r - 16) ** 2 + (c - 16) ** 2 < 80;
      const v = Math.max(0, Math.min(255, (label === 1 && inDisc ? 200 : 40) + Math.round((rng.next() - 0.5) * 100)));
      px[r * size + c] = bitDepth === 16 ? v * 257 : v;
    }
  return png(size, px, bitDepth);
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, MEDPROBE_QUIET: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const RECIPE = `    recipe:
      name: grey-any-depth
      steps:
        - { op: min-max, bounds: image }
        - { op: gray-to-rgb }
        - { op: resize, size: model, mode: exact, interpolation: bilinear }
        - { op: normalize, source: model-card }`;

function suite(dataset: string, results = 'results'): string {
  return `name: folder-e2e
seed: 1
cacheDir: cache
resultsDir: ${results}
models:
  - card: tiny.yaml
datasets:
  - source: folder
    name: toyxray
    root: imgs
    csv: labels.csv
    imageColumn: file
    patientColumn: patient
    labels: { kind: single, column: label }
    modality: X-ray
${dataset}
${RECIPE}
protocols:
  knn:
    k: [3]
bootstrap:
  resamples: 50
`;
}

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-data-folder-'));
  await fs.mkdir(path.join(dir, 'imgs'));
  const rows = ['file,label,patient,split'];
  for (let p = 0; p < PATIENTS; p++) {
    const label = p % 2;
    const split = p % 6 === 0 ? 'test' : p % 6 === 3 ? 'val' : 'train';
    for (let k = 0; k < 2; k++) {
      const name = `P${String(p).padStart(2, '0')}_${k}.png`;
      await fs.writeFile(path.join(dir, 'imgs', name), picture(label, 100 * p + k));
      rows.push(`${name},${label},P${p},${split}`);
    }
  }
  await fs.writeFile(path.join(dir, 'imgs', 'deep16.png'), picture(1, 9999, 16));
  rows.push('deep16.png,1,P99,train');
  await fs.writeFile(path.join(dir, 'imgs', 'corrupt.png'), picture(0, 5).subarray(0, 60)); // a PNG cut short
  rows.push('corrupt.png,0,P98,train');
  rows.push('missing.png,1,P97,test'); // listed, never written
  await fs.writeFile(path.join(dir, 'imgs', 'labels.csv'), `${rows.join('\n')}\n`);
  await writeTinyCnnOnnx(path.join(dir, 'tiny.onnx'), { size: 32 });
  await writeTinyCnnCard(path.join(dir, 'tiny.yaml'), path.join(dir, 'tiny.onnx'), { size: 32 });
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('onError: skip — the run succeeds, the 16-bit PNG is used, corrupt and missing files are listed once and in load-report.json', async () => {
  await fs.writeFile(path.join(dir, 'skip.yaml'), suite('    onError: skip\n    verify: decode\n    splits: { systematic: { every: 4, val: 1, test: 1 } }'));
  const r = cli(['run', 'skip.yaml']);
  assert.equal(r.status, 0, r.stderr);
  const m = /toyxray: 2 of 51 row\(s\) skipped \(onError: skip\); report: (\S+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.match(r.stderr, /line 51 corrupt\.png: /);
  assert.match(r.stderr, /line 52 missing\.png: file not found/);
  assert.equal(r.stderr.match(/row\(s\) skipped/g)!.length, 1, 'printed once');
  // <results>/_datasets/… once run/resources.ts passes resultsDir to openSuiteDataset; <cache>/_datasets/… until then
  assert.ok([path.join(dir, 'results'), path.join(dir, 'cache')].some((root) => m[1] === path.join(root, '_datasets', 'toyxray', 'load-report.json')), m[1]);
  const report = JSON.parse(await fs.readFile(m[1], 'utf8'));
  assert.deepEqual(report.skipped.map((s: { file: string }) => s.file), ['corrupt.png', 'missing.png']);
  assert.equal(report.used, 49);
  // 25 patients; every 4 → round(25/4) = 6 test and 6 val patients, the rest train
  // 25 patients; every 4 → round(25 · 1/4) = 6 test and 6 val patients
  assert.deepEqual(report.split.systematic, { every: 4, patients: 25, val: 6, test: 6 });
  const sizes = report.splitSizes as Record<string, number>;
  assert.equal(sizes.train + sizes.val + sizes.test, 49);
  assert.match(report.fingerprint.method, /sha256 of every used file/);
  const knn = ResultSchema.parse(JSON.parse(await fs.readFile(path.join(dir, 'results', 'tiny-cnn', 'toyxray', 'knn.json'), 'utf8')));
  assert.equal(knn.predictions.ids.length, sizes.test);
  assert.equal(knn.dataset.modality, 'X-ray');
  assert.equal(knn.dataset.fingerprint, report.fingerprint.value);
  assert.ok(knn.metrics.auroc! > 0.9, `AUROC ${knn.metrics.auroc} on an easy synthetic task`);
});

test('onError: stop — the first bad row ends the run with one line naming it', async () => {
  await fs.writeFile(path.join(dir, 'stop.yaml'), suite('    onError: stop\n    verify: decode'));
  await fs.rm(path.join(dir, 'results-stop'), { recursive: true, force: true });
  const r = cli(['run', 'stop.yaml']);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^medprobe: error: manifest .*labels\.csv line 51 \(corrupt\.png\)/);
});

test('a patient in two official splits stops the run loudly', async () => {
  const csv = (await fs.readFile(path.join(dir, 'imgs', 'labels.csv'), 'utf8')).replace('P01_1.png,1,P1,train', 'P01_1.png,1,P1,test');
  await fs.writeFile(path.join(dir, 'imgs', 'overlap.csv'), csv);
  await fs.writeFile(path.join(dir, 'overlap.yaml'), suite('    csv: overlap.csv\n    splitColumn: split\n    onError: skip').replace('    csv: labels.csv\n', ''));
  const r = cli(['run', 'overlap.yaml']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /medprobe: error: 1 patient\(s\) appear in more than one split of dataset toyxray: P1 \(train, test\)/);
});

test('data check: planted cross-split duplicates → exit 1 with the pairs; --report-only → exit 0', async () => {
  // P03_0 (val) copied as a test image of a new patient: pixel-identical, so 0 bits apart
  await fs.copyFile(path.join(dir, 'imgs', 'P03_0.png'), path.join(dir, 'imgs', 'copy.png'));
  const csv = (await fs.readFile(path.join(dir, 'imgs', 'labels.csv'), 'utf8')).split('\n').filter((l) => !/corrupt|missing|deep16/.test(l));
  csv.splice(csv.length - 1, 0, 'copy.png,1,P50,test');
  await fs.writeFile(path.join(dir, 'imgs', 'dup.csv'), csv.join('\n'));
  await fs.writeFile(
    path.join(dir, 'dup.yaml'),
    'source: folder\nname: dupset\nroot: imgs\ncsv: dup.csv\nimageColumn: file\npatientColumn: patient\nsplitColumn: split\nlabels: { kind: single, column: label }\n',
  );
  const r = cli(['data', 'check', 'dup.yaml', '--cache-dir', 'cache']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /dupset: 49 image\(s\) hashed, threshold 2 bits — 1 near-duplicate pair\(s\) across splits \(val\/test 1\); 0 patient\(s\) in more than one split — LEAKAGE/);
  assert.match(r.stdout, /val\s+P03_0\.png\s+test\s+copy\.png\s+0/);
  const json = JSON.parse(await fs.readFile(path.join(dir, 'results', '_datasets', 'dupset', 'leakage-report.json'), 'utf8'));
  assert.equal(json.pairs.length, 1);
  assert.equal(cli(['data', 'check', 'dup.yaml', '--cache-dir', 'cache', '--report-only']).status, 0);
  // the same folder without the copy is clean
  await fs.writeFile(path.join(dir, 'imgs', 'clean.csv'), csv.filter((l) => !l.startsWith('copy.png')).join('\n'));
  await fs.writeFile(path.join(dir, 'clean.yaml'), (await fs.readFile(path.join(dir, 'dup.yaml'), 'utf8')).replace('dup.csv', 'clean.csv'));
  const clean = cli(['data', 'check', 'clean.yaml', '--cache-dir', 'cache']);
  assert.equal(clean.status, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /0 near-duplicate pair\(s\).* — clean/);
});

test('data splits export → import verifies; an edited file is refused', async () => {
  const out = path.join(dir, 'splits.json');
  const e = cli(['data', 'splits', 'export', 'clean.yaml', out, '--cache-dir', 'cache']);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /dupset train 32 · val 8 · test 8 · sha256 [0-9a-f]{64}/);
  const i = cli(['data', 'splits', 'import', 'clean.yaml', out, '--cache-dir', 'cache']);
  assert.equal(i.status, 0, i.stderr);
  assert.match(i.stdout, /verified .* same as the config's current split/);
  const sf = JSON.parse(await fs.readFile(out, 'utf8'));
  sf.splits.test.push(sf.splits.train.pop());
  await fs.writeFile(out, JSON.stringify(sf));
  const bad = cli(['data', 'splits', 'import', 'clean.yaml', out, '--cache-dir', 'cache']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /does not match its sha256/);
});

test('data doctor: a fake NIH folder → exit 1 naming what is missing; a registry suite entry stops with the same report', async () => {
  const fake = path.join(dir, 'nih');
  await fs.mkdir(path.join(fake, 'images'), { recursive: true });
  await fs.writeFile(path.join(fake, 'Data_Entry_2017_v2020.csv'), 'Image Index,Finding Labels\n');
  await fs.writeFile(path.join(fake, 'test_list.txt'), 'x.png\n');
  const r = cli(['data', 'doctor', 'nih-chestxray14', 'nih']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /nih-chestxray14 in .*nih: INCOMPLETE/);
  assert.match(r.stdout, /FAIL Data_Entry_2017_v2020\.csv lacks column\(s\) 'Patient ID'/);
  assert.match(r.stdout, /FAIL missing train_val_list\.txt: found 0, need at least 1/);
  assert.match(r.stdout, /FAIL missing images\/\*\.png: found 0/);
  assert.match(r.stdout, /ok {3}test_list\.txt: 1 file/);
  await fs.writeFile(
    path.join(dir, 'registry.yaml'),
    'name: reg\ncacheDir: cache\nmodels:\n  - card: tiny.yaml\ndatasets:\n  - source: registry\n    name: nih-chestxray14\n    dir: nih\nprotocols:\n  knn:\n    k: [3]\n',
  );
  const run = cli(['run', 'registry.yaml']);
  assert.equal(run.status, 1, run.stderr);
  // the run's preflight (run/preflight.ts) or openSuiteDataset, whichever sees it first: one line with the doctor's finding
  assert.match(run.stderr, /^medprobe: error: .*nih-chestxray14.*lacks column\(s\) 'Patient ID'/);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
});
