/**
 * `source: volumes` through the real CLI: CT-like NIfTI volumes (HU, some stored LPS so they must
 * be reoriented) and DICOM series folders listed in a CSV, ct-default picked from `modality: CT`,
 * slice embeddings pooled per volume, kNN on the tiny CNN.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeNifti } from '../../src/data/nifti/write.js';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../../src/models/fixtures/tiny-cnn.js';
import { ResultSchema } from '../../src/results/schema.js';
import { createRng } from '../../src/util/random.js';
import { ctSlice } from '../data/dicom-fixtures.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(repo, 'bin/medprobe.js');
let dir: string;
const W = 16;
const H = 16;
const D = 5;

/** HU: air −1000 outside a body disc of soft tissue (40); class 1 adds a dense (700 HU) ball. Noise ±30 HU. */
function ctVolume(label: number, seed: number): Int16Array {
  const rng = createRng(seed);
  const out = new Int16Array(W * H * D);
  for (let z = 0; z < D; z++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const body = (x - 8) ** 2 + (y - 8) ** 2 < 49;
        const ball = label === 1 && (x - 8) ** 2 + (y - 8) ** 2 + ((z - 2) * 2) ** 2 < 16;
        out[x + W * (y + H * z)] = (ball ? 700 : body ? 40 : -1000) + Math.round((rng.next() - 0.5) * 60);
      }
  return out;
}

const RAS = [0.8, 0, 0, -6, 0, 0.8, 0, -6, 0, 0, 2.5, 0, 0, 0, 0, 1];
const LPS = [-0.8, 0, 0, 6, 0, -0.8, 0, 6, 0, 0, 2.5, 0, 0, 0, 0, 1];

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, MEDPROBE_QUIET: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-data-volumes-'));
  await fs.mkdir(path.join(dir, 'vols'));
  const rows = ['path,label,patient'];
  for (let i = 0; i < 20; i++) {
    const label = i % 2;
    const name = `ct${String(i).padStart(2, '0')}.nii${i % 3 === 0 ? '.gz' : ''}`;
    await writeNifti(path.join(dir, 'vols', name), { kind: '3d', width: W, height: H, depth: D, data: ctVolume(label, i) }, i % 4 === 1 ? LPS : RAS);
    rows.push(`${name},${label},S${i}`);
  }
  // two DICOM series (stored uint16 + intercept −1024, LPS rows/columns as scanners write them)
  for (let j = 0; j < 2; j++) {
    const hu = ctVolume(j, 100 + j);
    const folder = path.join(dir, 'vols', `dicom${j}`);
    await fs.mkdir(folder);
    for (let z = 0; z < D; z++) {
      const px = new Uint16Array(W * H);
      for (let k = 0; k < W * H; k++) px[k] = Math.max(0, hu[z * W * H + k] + 1024); // stored values cannot go below −1024 HU
      await fs.writeFile(path.join(folder, `s${z}.dcm`), ctSlice({ rows: H, cols: W, pixels: px, intercept: -1024, spacing: [0.8, 0.8], position: [0, 0, 2.5 * z], instance: z + 1, series: `1.2.3.${j}`, patientId: `D${j}` }));
    }
    rows.push(`dicom${j},${j},D${j}`);
  }
  await fs.writeFile(path.join(dir, 'vols', 'list.csv'), `${rows.join('\n')}\n`);
  await writeTinyCnnOnnx(path.join(dir, 'tiny.onnx'), { size: 32 });
  await writeTinyCnnCard(path.join(dir, 'tiny.yaml'), path.join(dir, 'tiny.onnx'), { size: 32 });
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('NIfTI + DICOM volumes from a CSV run end to end with ct-default picked by modality', async () => {
  await fs.writeFile(
    path.join(dir, 'suite.yaml'),
    `name: volumes-e2e
seed: 1
cacheDir: cache
resultsDir: results
models:
  - card: tiny.yaml
datasets:
  - source: volumes
    name: toyct
    root: vols
    csv: list.csv
    patientColumn: patient
    labels: { kind: single, column: label }
    modality: CT
    splits: { random: { seed: 3, train: 0.5, val: 0.2, test: 0.3 } }
protocols:
  knn:
    k: [3]
bootstrap:
  resamples: 50
`,
  );
  const r = cli(['run', 'suite.yaml']);
  assert.equal(r.status, 0, r.stderr);
  const knn = ResultSchema.parse(JSON.parse(await fs.readFile(path.join(dir, 'results', 'tiny-cnn', 'toyct', 'knn.json'), 'utf8')));
  assert.equal(knn.dataset.modality, 'CT');
  assert.equal(knn.dataset.dims, 3);
  assert.equal(knn.dataset.preprocessing.name, 'ct-default');
  // 22 volumes, test ≈ 30 % of them by patient (one volume each): round(0.3 · 22) = 7
  assert.equal(knn.predictions.ids.length, 7);
  assert.ok(knn.metrics.auroc! > 0.9, `AUROC ${knn.metrics.auroc}: a 700 HU ball is easy to see`);
  const report = JSON.parse(await fs.readFile(path.join(dir, 'cache', '_datasets', 'toyct', 'load-report.json'), 'utf8').catch(() => fs.readFile(path.join(dir, 'results', '_datasets', 'toyct', 'load-report.json'), 'utf8')));
  assert.equal(report.used, 22);
  assert.deepEqual(report.skipped, []);
});

test('data info reads a NIfTI volume and a DICOM series folder (shape, spacing, orientation, HU)', () => {
  const n = cli(['data', 'info', 'vols/ct01.nii']);
  assert.equal(n.status, 0, n.stderr);
  assert.match(n.stdout, /shape \(x × y × z\)\s+16 × 16 × 5 as stored; 16 × 16 × 5 canonical RAS\+/);
  assert.match(n.stdout, /spacing\s+0\.8 × 0\.8 × 2\.5 mm/);
  assert.match(n.stdout, /orientation\s+LPS as stored/);
  const d = cli(['data', 'info', 'vols/dicom1']);
  assert.equal(d.status, 0, d.stderr);
  assert.match(d.stdout, /DICOM series, 5 slice file\(s\)/);
  assert.match(d.stdout, /modality\s+CT/);
  // the ball's densest voxel is 700 + up to 30 HU of noise; air is clipped at −1024 by the unsigned storage
  const m = /HU range\s+(-?\d+) … (-?\d+)/.exec(d.stdout);
  assert.ok(m, d.stdout);
  assert.ok(Number(m[1]) === -1024 && Number(m[2]) >= 670 && Number(m[2]) <= 730, d.stdout);
});

test('a volumes entry without modality or recipe is refused with a one-line reason', async () => {
  await fs.writeFile(path.join(dir, 'nomod.yaml'), 'source: volumes\nroot: vols\ncsv: list.csv\nlabels: { kind: single, column: label }\nsplits: { random: { train: 0.5, val: 0.2, test: 0.3 } }\n');
  const r = cli(['data', 'check', 'nomod.yaml']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^medprobe: error: invalid dataset entry .*recipe: a volumes entry needs `modality: CT` or `MRI`/);
});
