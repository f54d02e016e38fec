/**
 * `medprobe segment drive|nifti` end to end through the real CLI binary: shortcuts that build a
 * one-dataset suite and run it through the plan. On a generated DRIVE-layout folder (TIFF images,
 * GIF vessel masks and FOV masks) and generated NIfTI volumes, with the tiny ONNX CNN: results are
 * those of the same suite run by `medprobe run`, per-case Dice is recomputed from the written mask
 * PNGs, the leaderboard puts them in segmentation tables and the site shows the overlays; one
 * NIfTI pair (which cannot be split into volumes) is refused in one line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { readNifti } from '../../src/data/nifti/read.js';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../../src/models/fixtures/tiny-cnn.js';
import { ResultSchema, type Result } from '../../src/results/schema.js';
import { loadResults } from '../../src/results/store.js';
import { buildLeaderboard } from '../../src/results/leaderboard.js';
import { buildSite } from '../../src/report/site.js';
import { createRng } from '../../src/util/random.js';
import { writeGrayGif, writeNifti, writeTiff } from '../segmentation/fixtures.js';
import { stripVolatile } from '../run/plan-fixture.js';

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

const TRAIN = ['--model', 'tiny.json', '--maps', 'feature_map,relu0', '--epochs', '25', '--lr', '0.01,0.05', '--cache-dir', 'cache', '--out', 'res'];

test('segment drive: a suite with seg-linear and seg-unet, lr chosen on val, the same results as `medprobe run`, Dice recomputed from the masks, leaderboard table, site overlays', async () => {
  const r = cli('segment', 'drive', '--data', 'drive', ...TRAIN, '--val', '2', '--decoder', 'both', '--loss', 'dice+ce', '--widths', '8,8');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /seg-linear: diceJaccard 0\.\d+ dice 0\.\d+ iou 0\.\d+ dicePooled 0\.\d+ \(lr 0\.0[15], chosen on val\)/);
  assert.match(r.stdout, /seg-unet: diceJaccard 0\.\d+/);
  const base = path.join(dir, 'res', 'tiny-cnn', 'drive');
  for (const protocol of ['seg-linear', 'seg-unet']) {
    const result: Result = ResultSchema.parse(JSON.parse(await fs.readFile(path.join(base, `${protocol}.json`), 'utf8')));
    assert.equal(result.protocol.name, protocol);
    assert.deepEqual(result.dataset.task, { type: 'binary', labels: ['background', 'vessel'] });
    assert.deepEqual(result.dataset.splitSizes, { train: 4, val: 2, test: 2 });
    assert.equal(result.dataset.modality, 'fundus');
    assert.equal(result.protocol.config.loss, 'dice+ce');
    assert.deepEqual(result.selection.candidates.map((c) => c.params.lr), [0.01, 0.05]);
    assert.equal(result.selection.split, 'val');
    assert.equal(result.predictions.kind, 'segmentation');
    assert.deepEqual(result.predictions.ids, ['01', '02']);
    assert.ok(!('dice/background' in result.metrics), 'background is not scored');
    for (const k of ['diceJaccard', 'dice', 'iou', 'dicePooled', 'dice/vessel']) assert.equal(typeof result.metrics[k], 'number', k);
    assert.equal(typeof result.provenance.wallSeconds.train, 'number');

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
    assert.ok(Math.abs(result.metrics.dicePooled! - (2 * pi) / (pp + pg)) < 1e-9, 'pooled Dice over all FOV pixels of both cases');
    assert.deepEqual(result.extra!.overlays, [`${protocol}-predictions/overlays/01.png`, `${protocol}-predictions/overlays/02.png`]);
  }
  const unet = ResultSchema.parse(JSON.parse(await fs.readFile(path.join(base, 'seg-unet.json'), 'utf8')));
  assert.ok(unet.metrics.dice! > 0.6, `U-Net Dice ${unet.metrics.dice} on an easy task`);

  // The shortcut is a suite: `medprobe run` of the same suite gives the same results, and a second `segment drive` reuses them.
  await fs.writeFile(
    path.join(dir, 'drive-suite.yaml'),
    `seed: 0
models: [{ card: tiny.json }]
datasets: [{ source: segmentation, name: drive, format: drive, root: drive, val: 2 }]
protocols:
  seg-linear: { lr: [0.01, 0.05], epochs: 25, loss: dice+ce, maps: [feature_map, relu0] }
  seg-unet: { lr: [0.01, 0.05], epochs: 25, loss: dice+ce, maps: [feature_map, relu0], widths: [8, 8] }
`,
  );
  const viaRun = cli('run', 'drive-suite.yaml', '--cache-dir', 'cache', '--out', 'res-run');
  assert.equal(viaRun.status, 0, viaRun.stderr);
  for (const protocol of ['seg-linear', 'seg-unet']) {
    const a = stripVolatile(await fs.readFile(path.join(base, `${protocol}.json`), 'utf8'));
    const b = stripVolatile(await fs.readFile(path.join(dir, 'res-run', 'tiny-cnn', 'drive', `${protocol}.json`), 'utf8'));
    assert.deepEqual(a, b, `${protocol}: segment drive and medprobe run differ`);
  }
  const again = cli('segment', 'drive', '--data', 'drive', ...TRAIN, '--val', '2', '--loss', 'dice+ce', '--widths', '8,8');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout.match(/\[reused\]/g)?.length, 2, again.stdout);

  const results = await loadResults(path.join(dir, 'res'));
  assert.equal(results.length, 2, 'masks/overlays beside the results are not read as result files');
  const lb = buildLeaderboard(results);
  for (const protocol of ['seg-linear', 'seg-unet']) {
    const table = lb.protocols.find((t) => t.protocol === protocol)!;
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

/** A disc of label 1 drifting through the slices, brighter than its surroundings. */
async function writeVolume(name: string, seed: number): Promise<void> {
  const [nx, ny, nz] = [20, 18, 8];
  const rng = createRng(seed);
  const img = new Int16Array(nx * ny * nz);
  const lab = new Uint8Array(nx * ny * nz);
  const cx = 7 + rng.int(4);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const i = (z * ny + y) * nx + x;
        const inside = Math.hypot(x - cx - z * 0.3, y - 8) < 5;
        lab[i] = inside ? 1 : 0;
        img[i] = (inside ? 900 : 100) + rng.int(200);
      }
  const affine = [-1.5, 0, 0, 30, 0, 1.5, 0, -20, 0, 0, 2.5, 7, 0, 0, 0, 1];
  await writeNifti(path.join(dir, 'vols', 'imagesTr', `${name}.nii.gz`), [nx, ny, nz], img, affine);
  await writeNifti(path.join(dir, 'vols', 'labelsTr', `${name}.nii.gz`), [nx, ny, nz], lab, affine);
}

test('segment nifti: whole volumes in train/val/test, scored per volume; one pair is refused in one line; --intensity is deprecated', async () => {
  for (let i = 1; i <= 5; i++) await writeVolume(`case_00${i}`, 10 + i);
  const args = ['--model', 'tiny.json', '--maps', 'feature_map,relu0', '--epochs', '15', '--lr', '0.01,0.05', '--batch-size', '8', '--decoder', 'unet', '--widths', '8,8', '--cache-dir', 'cache', '--out', 'res3d'];
  const r = cli('segment', 'nifti', '--image', 'vols/imagesTr', '--labels', 'vols/labelsTr', '--intensity', 'mri', ...args);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /--intensity is deprecated, use --modality/);
  const file = path.join(dir, 'res3d', 'tiny-cnn', 'nifti', 'seg-unet.json');
  const result = ResultSchema.parse(JSON.parse(await fs.readFile(file, 'utf8')));
  assert.equal(result.dataset.dims, 3);
  assert.equal(result.dataset.modality, 'MRI');
  assert.deepEqual(result.dataset.task.labels, ['background', 'label 1']);
  // 5 volumes: ⌈5/5⌉ = 1 test (systematic: the first id), 1 val, 3 train — never slices of one volume on both sides.
  assert.deepEqual(result.dataset.splitSizes, { train: 3, val: 1, test: 1 });
  assert.deepEqual(result.predictions.ids, ['case_001']);
  assert.equal(result.selection.split, 'val');
  assert.equal(typeof result.metrics['diceJaccard/label 1'], 'number');
  // The prediction is a NIfTI on the label map's own grid, as stored (a flipped x axis here): same dims, same affine.
  const pred = await readNifti(path.join(path.dirname(file), result.predictions.cases![0].mask!), { canonical: false });
  const truthMap = await readNifti(path.join(dir, 'vols', 'labelsTr', 'case_001.nii.gz'), { canonical: false });
  assert.deepEqual([pred.width, pred.height, pred.depth, pred.sourceOrientation], [truthMap.width, truthMap.height, truthMap.depth, truthMap.sourceOrientation]);
  assert.deepEqual(pred.affine, truthMap.affine);
  assert.equal(buildLeaderboard(await loadResults(path.join(dir, 'res3d'))).protocols[0].tasks[0].kind, 'segmentation');

  // The same volumes given as files pair up in order and make the same suite, hence the same (reused) result.
  const files = (sub: string) => [1, 2, 3, 4, 5].flatMap((i) => [sub === 'imagesTr' ? '--image' : '--labels', `vols/${sub}/case_00${i}.nii.gz`]);
  const again = cli('segment', 'nifti', ...files('imagesTr'), ...files('labelsTr'), ...args);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /seg-unet: .*\[reused\]/);

  const one = cli('segment', 'nifti', '--image', 'vols/imagesTr/case_001.nii.gz', '--labels', 'vols/labelsTr/case_001.nii.gz', ...args.map((a) => (a === 'res3d' ? 'res-one' : a)));
  assert.equal(one.status, 1, one.stderr);
  assert.match(one.stderr, /^medprobe: error: segment nifti needs whole volumes for train, val and test: 1 image\/label pair\(s\) cannot give 1 test \+ 1 val \+ 1 training volume/);
  assert.match(one.stderr, /give at least 3 pairs/);
  assert.equal(one.stderr.trim().split('\n').length <= 2, true, one.stderr);
  await assert.rejects(fs.access(path.join(dir, 'res-one', 'tiny-cnn')), 'no result written');
});

test('segment: bad inputs give one line and exit 1, no result files', async () => {
  const tf = await import('@tensorflow/tfjs');
  const { fileSystemHandler } = await import('../../src/models/tfjs/fs-handler.js');
  await fs.mkdir(path.join(dir, 'tfjs-model'), { recursive: true });
  await tf.sequential({ layers: [tf.layers.conv2d({ filters: 2, kernelSize: 1, inputShape: [32, 32, 3], name: 'f' })] }).save(fileSystemHandler(path.join(dir, 'tfjs-model')));
  const tfjsCard = { name: 'tiny-tfjs', file: 'tfjs-model', format: 'tfjs-layers', input: { name: 'x', layout: 'NHWC', size: 32 }, outputs: { feature_map: 'f' } };
  await fs.writeFile(path.join(dir, 'tfjs.json'), JSON.stringify(tfjsCard));
  const cases: [string[], RegExp][] = [
    [['segment', 'drive', '--data', 'drive', ...TRAIN, '--model', 'tfjs.json', '--maps', 'feature_map'], /^medprobe: error: segmentation needs an ONNX backbone, and model tiny-tfjs is tfjs-layers/],
    [['segment', 'drive', '--data', 'nowhere', ...TRAIN], /^medprobe: error: .*nowhere/],
    [['segment', 'drive', '--data', 'drive', '--model', 'tiny.json', '--cache-dir', 'cache', '--out', 'bad'], /^medprobe: error: no default feature maps for model tiny-cnn/],
    [['segment', 'drive', '--data', 'drive', ...TRAIN, '--maps', 'feature_map,nope'], /^medprobe: error: .*has no tensor named 'nope'/],
    [['segment', 'drive', '--data', 'drive', ...TRAIN, '--decoder', 'mlp'], /^medprobe: error: --decoder must be linear or unet or both, got 'mlp'/],
    [['segment', 'drive', '--data', 'drive', ...TRAIN, '--lr', '0.01,x'], /^medprobe: error: --lr x is not a positive number/],
    [['segment', 'nifti', '--image', 'missing.nii', '--labels', 'missing.nii', ...TRAIN], /^medprobe: error: not found: .*missing\.nii/],
  ];
  for (const [args, pattern] of cases) {
    const r = cli(...args.map((a) => (a === 'res' ? 'bad' : a)));
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(!r.stderr.includes('    at '), 'no stack trace');
  }
  const bad = await fs.readdir(path.join(dir, 'bad')).catch(() => [] as string[]);
  assert.deepEqual(bad.filter((n) => !n.startsWith('.') && n !== '_datasets'), [], 'no result folders');
});
