/**
 * `medprobe segment` end to end through the real CLI binary, on a generated DRIVE-layout folder
 * (TIFF images, GIF vessel masks and FOV masks) and a generated NIfTI pair, with the tiny ONNX CNN:
 * result files validate as medprobe.result/v1, per-case Dice is recomputed here from the written
 * mask PNGs, the leaderboard puts them in segmentation tables and the site shows the overlays.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../../src/models/fixtures/tiny-cnn.js';
import { ResultSchema, type Result } from '../../src/results/schema.js';
import { loadResults } from '../../src/results/store.js';
import { buildLeaderboard } from '../../src/results/leaderboard.js';
import { buildSite } from '../../src/report/site.js';
import { createRng } from '../../src/util/random.js';
import { writeGrayGif, writeNifti, writeTiff } from '../segmentation/fixtures.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(repo, 'bin/medprobe.js');
const [W, H] = [44, 36];
let dir: string;
/** Ground truth (0/1) and FOV (0/1) of each generated test case, by id. */
const truth = new Map<string, { mask: Uint8Array; fov: Uint8Array }>();

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, MEDPROBE_QUIET: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Bright rectangles ("vessels") on a noisy dark background; FOV = all but a 3-px left band. */
async function writeDriveLike(root: string, split: 'training' | 'test', ids: string[], seed: number): Promise<void> {
  const rng = createRng(seed);
  for (const id of ids) {
    const mask = new Uint8Array(W * H);
    const rgb = new Uint8Array(W * H * 3);
    const fov = new Uint8Array(W * H);
    for (let b = 0; b < 3; b++) {
      const x0 = rng.int(W - 10), y0 = rng.int(H - 10), bw = 4 + rng.int(6), bh = 4 + rng.int(6);
      for (let y = y0; y < y0 + bh; y++) for (let x = x0; x < x0 + bw; x++) mask[y * W + x] = 1;
    }
    for (let p = 0; p < W * H; p++) {
      fov[p] = p % W >= 3 ? 1 : 0;
      for (let c = 0; c < 3; c++) rgb[3 * p + c] = mask[p] ? 200 + rng.int(40) : 20 + rng.int(40);
    }
    await writeTiff(path.join(root, split, 'images', `${id}_${split}.tif`), rgb, W, H);
    await writeGrayGif(path.join(root, split, '1st_manual', `${id}_manual1.gif`), mask.map((v) => v * 255), W, H);
    await writeGrayGif(path.join(root, split, 'mask', `${id}_${split}_mask.gif`), fov.map((v) => v * 255), W, H);
    if (split === 'test') truth.set(id, { mask, fov });
  }
}

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-segcli-'));
  await writeTinyCnnOnnx(path.join(dir, 'tiny.onnx'), { size: 32 });
  await writeTinyCnnCard(path.join(dir, 'tiny.json'), path.join(dir, 'tiny.onnx'), { size: 32 });
  await writeDriveLike(path.join(dir, 'drive'), 'training', ['21', '22', '23', '24', '25', '26'], 1);
  await writeDriveLike(path.join(dir, 'drive'), 'test', ['01', '02'], 2);
});

after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const TRAIN = ['--model', 'tiny.json', '--maps', 'feature_map,relu0', '--epochs', '25', '--lr', '0.01', '--out', 'res'];

test('segment drive: seg-linear and seg-unet result files, Dice recomputed from the written masks, leaderboard table, site overlays', async () => {
  const r = cli('segment', 'drive', '--data', 'drive', ...TRAIN, '--decoder', 'both', '--loss', 'dice+ce', '--widths', '8,8');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /seg-linear: dice 0\.\d+/);
  assert.match(r.stdout, /seg-unet: dice 0\.\d+/);
  const base = path.join(dir, 'res', 'tiny-cnn', 'drive');
  for (const protocol of ['seg-linear', 'seg-unet']) {
    const result: Result = ResultSchema.parse(JSON.parse(await fs.readFile(path.join(base, `${protocol}.json`), 'utf8')));
    assert.equal(result.protocol.name, protocol);
    assert.deepEqual(result.dataset.task, { type: 'binary', labels: ['background', 'vessel'] });
    assert.deepEqual(result.dataset.splitSizes, { train: 6, test: 2 });
    assert.equal(result.dataset.modality, 'fundus');
    assert.equal((result.protocol.config.policy as { includeBackground: boolean }).includeBackground, false);
    assert.equal((result.protocol.config.policy as { fov: boolean }).fov, true);
    assert.equal(result.predictions.kind, 'segmentation');
    assert.deepEqual(result.predictions.ids, ['01', '02']);
    assert.ok(!('dice/background' in result.metrics), 'background is not scored');
    for (const k of ['dice', 'iou', 'auroc', 'dicePooled', 'dice/vessel']) assert.equal(typeof result.metrics[k], 'number', k);
    assert.ok(result.provenance.files.model.length === 64 && result.model.fingerprint === result.provenance.files.model);
    assert.ok(result.provenance.wallSeconds.train > 0);

    // Independent check: Dice of each written mask PNG (0/255) against the generated truth, inside the FOV.
    const dices: number[] = [];
    let [pi, pp, pg] = [0, 0, 0];
    for (const [i, id] of result.predictions.ids.entries()) {
      const c = result.predictions.cases![i];
      const png = PNG.sync.read(await fs.readFile(path.join(base, c.mask!)));
      assert.deepEqual([png.width, png.height], [W, H]);
      const t = truth.get(id)!;
      let inter = 0, p = 0, g = 0;
      for (let q = 0; q < W * H; q++) {
        const pred = png.data[4 * q] === 255 ? 1 : 0;
        if (!t.fov[q]) {
          assert.equal(pred, 0, 'outside the FOV the written mask is background');
          continue;
        }
        inter += pred & t.mask[q];
        p += pred;
        g += t.mask[q];
      }
      const dice = (2 * inter) / (p + g);
      [pi, pp, pg] = [pi + inter, pp + p, pg + g];
      assert.ok(Math.abs(c.dice[1]! - dice) < 1e-9, `case ${id}: ${c.dice[1]} vs recomputed ${dice}`);
      assert.equal(c.dice[0], null);
      // IoU = D / (2 − D) for the same pair of sets.
      assert.ok(Math.abs(c.iou![1]! - dice / (2 - dice)) < 1e-9);
      dices.push(dice);
    }
    assert.ok(Math.abs(result.metrics.dice! - (dices[0] + dices[1]) / 2) < 1e-9, 'dice = mean over cases');
    assert.equal(result.metrics['dice/vessel'], result.metrics.dice, 'one scored class: its mean over cases is the reported Dice');
    assert.ok(Math.abs(result.metrics.dicePooled! - (2 * pi) / (pp + pg)) < 1e-9, 'pooled Dice over all FOV pixels of both cases');
    assert.deepEqual(result.extra!.overlays, [`${protocol}/overlays/01.png`, `${protocol}/overlays/02.png`]);
  }
  const unet = ResultSchema.parse(JSON.parse(await fs.readFile(path.join(base, 'seg-unet.json'), 'utf8')));
  assert.ok(unet.metrics.dice! > 0.8, `U-Net Dice ${unet.metrics.dice} on an easy task`);

  const results = await loadResults(path.join(dir, 'res'));
  assert.equal(results.length, 2, 'masks/overlays beside the results are not read as result files');
  const lb = buildLeaderboard(results);
  for (const protocol of ['seg-linear', 'seg-unet']) {
    const table = lb.protocols.find((t) => t.protocol === protocol)!;
    assert.equal(table.metric, 'dice');
    assert.deepEqual(table.tasks.map((t) => [t.dataset, t.kind]), [['drive', 'segmentation']]);
    assert.deepEqual(table.models, ['tiny-cnn']);
  }
  const site = path.join(dir, 'site');
  await buildSite(path.join(dir, 'res'), site);
  const pages = await fs.readdir(path.join(site, 'datasets')).catch(() => [] as string[]);
  const html = (await Promise.all(pages.filter((p) => p.endsWith('.html')).map((p) => fs.readFile(path.join(site, 'datasets', p), 'utf8')))).join('\n');
  assert.match(html, /Segmentation overlays/);
  const img = /<img src="\.\.\/(overlays\/[^"]+seg-unet-1\.png)"/.exec(html);
  assert.ok(img, 'the U-Net overlay is on the dataset page');
  const copied = PNG.sync.read(await fs.readFile(path.join(site, img[1])));
  assert.deepEqual([copied.width, copied.height], [3 * W, H], 'image | truth | prediction panels');
});

test('segment nifti: one volume, trained on even slices, held-out Dice, prediction NIfTI beside the result', async () => {
  const [nx, ny, nz] = [20, 18, 8];
  const rng = createRng(4);
  const img = new Int16Array(nx * ny * nz);
  const lab = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const i = (z * ny + y) * nx + x;
        const inside = Math.hypot(x - 9 - z * 0.3, y - 8) < 5;
        lab[i] = inside ? 2 : 0;
        img[i] = (inside ? 900 : 100) + rng.int(200);
      }
  const affine = [-1.5, 0, 0, 30, 0, 1.5, 0, -20, 0, 0, 2.5, 7, 0, 0, 0, 1];
  await writeNifti(path.join(dir, 'vol.nii.gz'), [nx, ny, nz], img, affine);
  await writeNifti(path.join(dir, 'vol_labels.nii.gz'), [nx, ny, nz], lab, affine);
  const r = cli('segment', 'nifti', '--image', 'vol.nii.gz', '--labels', 'vol_labels.nii.gz', ...TRAIN, '--epochs', '30', '--batch-size', '4', '--out', 'res3d');
  assert.equal(r.status, 0, r.stderr);
  const file = path.join(dir, 'res3d', 'tiny-cnn', 'vol_labels', 'seg-unet.json');
  const result = ResultSchema.parse(JSON.parse(await fs.readFile(file, 'utf8')));
  assert.equal(result.dataset.dims, 3);
  assert.equal(result.dataset.modality, 'MRI');
  assert.deepEqual(result.dataset.splitSizes, { trainSlices: 4, heldOutSlices: 4 });
  assert.ok(result.metrics.dice! > 0.7, `held-out Dice ${result.metrics.dice}`);
  assert.equal(typeof result.metrics.diceAllSlices, 'number');
  assert.equal(result.metrics['dice/label 2'], result.metrics.dice, 'one foreground class: its Dice is the mean');
  await fs.access(path.join(path.dirname(file), result.predictions.cases![0].mask!));
  assert.ok((result.extra!.overlays as string[]).length > 0);
  for (const o of result.extra!.overlays as string[]) await fs.access(path.join(path.dirname(file), o));
  assert.equal(buildLeaderboard(await loadResults(path.join(dir, 'res3d'))).protocols[0].tasks[0].kind, 'segmentation');
});

test('segment: bad inputs give one line and exit 1, no result files', async () => {
  const cases: [string[], RegExp][] = [
    [['segment', 'drive', '--data', 'nowhere', ...TRAIN], /^medprobe: error: DRIVE training images not found under .*nowhere/],
    [['segment', 'drive', '--data', 'drive', '--model', 'tiny.json', '--out', 'bad'], /^medprobe: error: no default feature maps for model tiny-cnn/],
    [['segment', 'drive', '--data', 'drive', ...TRAIN, '--maps', 'feature_map,nope'], /^medprobe: error: .*has no tensor named 'nope'/],
    [['segment', 'drive', '--data', 'drive', ...TRAIN, '--decoder', 'mlp'], /^medprobe: error: --decoder must be linear or unet or both, got 'mlp'/],
    [['segment', 'nifti', '--image', 'missing.nii', '--labels', 'missing.nii', ...TRAIN], /^medprobe: error: /],
  ];
  for (const [args, pattern] of cases) {
    const r = cli(...args.map((a) => (a === 'res' ? 'bad' : a)));
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(!r.stderr.includes('    at '), 'no stack trace');
  }
  const bad = await fs.readdir(path.join(dir, 'bad')).catch(() => [] as string[]);
  assert.deepEqual(bad.filter((n) => !n.startsWith('.')), [], 'no result folders');
});
