import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createPixelAurocAccumulator,
  createSegmentationAccumulator,
  evaluateSegmentation,
  pixelAuroc,
} from '../../src/metrics/segmentation.js';
import { binaryAuroc } from '../../src/metrics/auroc.js';
import { MedprobeError } from '../../src/util/errors.js';

const close = (actual: number | null | undefined, expected: number, tol = 1e-12) => {
  assert.ok(actual !== null && actual !== undefined, `expected ${expected}, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);
};

// 3×4 map, 3 classes (0 = background), row-major:
//   gt   0 0 1 1      pred 0 1 1 1
//        0 2 2 1           0 2 0 1
//        0 0 2 2           0 0 2 0
// class 0: G 5, P 6, I 4 → Dice 8/11, IoU 4/7
// class 1: G 3, P 4, I 3 → Dice 6/7,  IoU 3/4
// class 2: G 4, P 2, I 2 → Dice 4/6,  IoU 2/4
// correct pixels 4 + 3 + 2 = 9 of 12
const gt = [0, 0, 1, 1, 0, 2, 2, 1, 0, 0, 2, 2];
const pred = [0, 1, 1, 1, 0, 2, 0, 1, 0, 0, 2, 0];

test('Dice and IoU per class; background excluded from the mean by default', () => {
  const s = evaluateSegmentation(pred, gt, 3);
  assert.deepEqual(s.policy, { includeBackground: false, emptyEmpty: 1 });
  assert.equal(s.dice[0], null);
  close(s.dice[1], 6 / 7);
  close(s.dice[2], 2 / 3);
  close(s.iou[1], 3 / 4);
  close(s.iou[2], 1 / 2);
  close(s.meanDice, (6 / 7 + 2 / 3) / 2); // 16/21
  close(s.meanIoU, 0.625);
  close(s.accuracy, 9 / 12);
  assert.equal(s.pixels, 12);
});

test('includeBackground scores class 0 and puts it in the mean', () => {
  const s = evaluateSegmentation(pred, gt, 3, { includeBackground: true });
  close(s.dice[0], 8 / 11);
  close(s.iou[0], 4 / 7);
  close(s.meanDice, (8 / 11 + 6 / 7 + 2 / 3) / 3);
  close(s.meanIoU, (4 / 7 + 3 / 4 + 1 / 2) / 3);
  assert.equal(s.policy.includeBackground, true);
});

test('FOV mask: only pixels inside it count', () => {
  // Mask out the last column. Inside: class 1 G 1 (0,2), P 2 (0,1),(0,2), I 1 → Dice 2/3, IoU 1/2;
  // class 2 G 3, P 2, I 2 → Dice 4/5, IoU 2/3; correct 4 + 1 + 2 = 7 of 9.
  const fov = [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0];
  const s = evaluateSegmentation(pred, gt, 3, {}, fov);
  close(s.dice[1], 2 / 3);
  close(s.dice[2], 4 / 5);
  close(s.iou[2], 2 / 3);
  close(s.meanDice, 11 / 15);
  close(s.accuracy, 7 / 9);
  assert.equal(s.pixels, 9);
});

test('emptyEmpty policy: a class absent from gt and prediction scores 1, 0, or is skipped', () => {
  // Same maps scored as 4 classes: class 3 appears nowhere.
  const one = evaluateSegmentation(pred, gt, 4);
  assert.equal(one.dice[3], 1);
  assert.equal(one.iou[3], 1);
  close(one.meanDice, (6 / 7 + 2 / 3 + 1) / 3);
  const zero = evaluateSegmentation(pred, gt, 4, { emptyEmpty: 0 });
  assert.equal(zero.dice[3], 0);
  close(zero.meanDice, (6 / 7 + 2 / 3 + 0) / 3);
  const skip = evaluateSegmentation(pred, gt, 4, { emptyEmpty: 'skip' });
  assert.equal(skip.dice[3], null);
  close(skip.meanDice, 16 / 21);
  assert.deepEqual(skip.policy, { includeBackground: false, emptyEmpty: 'skip' });
  // Every scored class empty and skipped: no mean at all.
  assert.equal(evaluateSegmentation([0, 0], [0, 0], 2, { emptyEmpty: 'skip' }).meanDice, null);
  assert.throws(() => evaluateSegmentation([0], [0], 2, { emptyEmpty: 0.5 as never }), MedprobeError);
});

test('gt empty but predicted (or the reverse) is 0 whatever emptyEmpty says', () => {
  for (const emptyEmpty of [1, 0, 'skip'] as const) {
    // gt has no class 1, prediction marks one pixel: 2·0/(0+1) = 0.
    const fp = evaluateSegmentation([0, 1, 0, 0], [0, 0, 0, 0], 2, { emptyEmpty });
    assert.equal(fp.dice[1], 0);
    assert.equal(fp.iou[1], 0);
    // gt has class 1, prediction misses it.
    const fn = evaluateSegmentation([0, 0, 0, 0], [0, 1, 0, 0], 2, { emptyEmpty });
    assert.equal(fn.dice[1], 0);
  }
});

// 64×64 formula maps with 4 classes and a disc FOV, mirrored in Python:
//   y, x = mgrid[0:64, 0:64]; gt = (x//8 + y//16) % 4
//   pred = where((7x + 3y) % 5 != 0, gt, (gt+1) % 4); pred = where((x+y) % 11 == 0, 0, pred)
//   fov = (x−32)² + (y−32)² < 900
// Reference (scikit-learn 1.2.1, computed once on the FOV pixels): f1_score(average=None) is Dice,
// jaccard_score(average=None) is IoU, accuracy_score is pixel accuracy.
function formulaMaps() {
  const H = 64;
  const W = 64;
  const g = new Uint8Array(H * W);
  const p = new Uint8Array(H * W);
  const fov = new Uint8Array(H * W);
  const prob = new Float32Array(H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      g[i] = (Math.floor(x / 8) + Math.floor(y / 16)) % 4;
      p[i] = (7 * x + 3 * y) % 5 !== 0 ? g[i] : (g[i] + 1) % 4;
      if ((x + y) % 11 === 0) p[i] = 0;
      fov[i] = (x - 32) ** 2 + (y - 32) ** 2 < 900 ? 1 : 0;
      prob[i] = ((x * 13 + y * 29) % 97) / 96 + (g[i] === 1 ? 0.3 : 0);
    }
  }
  return { g, p, fov, prob };
}

test('per-class Dice / IoU / accuracy match sklearn f1_score / jaccard_score on a 64×64 map inside a FOV', () => {
  const { g, p, fov } = formulaMaps();
  const s = evaluateSegmentation(p, g, 4, { includeBackground: true }, fov);
  assert.equal(s.pixels, 2809);
  // sklearn dice [0.7205973864343498, 0.7557959814528592, 0.764484574868322, 0.7622478386167146]
  [0.7205973864343498, 0.7557959814528592, 0.764484574868322, 0.7622478386167146].forEach((v, k) => close(s.dice[k], v));
  // sklearn iou [0.5632295719844358, 0.6074534161490683, 0.6187576126674786, 0.6158323632130385]
  [0.5632295719844358, 0.6074534161490683, 0.6187576126674786, 0.6158323632130385].forEach((v, k) => close(s.iou[k], v));
  close(s.accuracy, 0.74937700249199);
});

test('pixel AUROC inside a FOV: hand example and sklearn on the 64×64 map', () => {
  // FOV drops the last pixel. Positives 0.9, 0.6; negatives 0.2, 0.6, 0.1:
  // 0.9 beats 3; 0.6 beats 2 and ties 1 → 2.5. (3 + 2.5) / 6.
  close(pixelAuroc([0.9, 0.2, 0.6, 0.6, 0.1, 0.8], [1, 0, 1, 0, 0, 1], [1, 1, 1, 1, 1, 0]), 5.5 / 6);
  assert.equal(pixelAuroc([0.9, 0.2], [0, 0]), null);
  const { g, fov, prob } = formulaMaps();
  const isOne = Uint8Array.from(g, (v) => (v === 1 ? 1 : 0));
  // sklearn roc_auc_score((gt == 1)[fov], float32(prob)[fov]) = 0.7518594883543337
  close(pixelAuroc(prob, isOne, fov), 0.7518594883543337);
});

test('pixel AUROC accumulator pools cases and equals one call on the concatenation', () => {
  const { g, fov, prob } = formulaMaps();
  const isOne = Uint8Array.from(g, (v) => (v === 1 ? 1 : 0));
  const acc = createPixelAurocAccumulator();
  const half = prob.length / 2;
  acc.add(prob.subarray(0, half), isOne.subarray(0, half), fov.subarray(0, half));
  const first = acc.result();
  acc.add(prob.subarray(half), isOne.subarray(half), fov.subarray(half));
  close(acc.result(), pixelAuroc(prob, isOne, fov)!);
  // result() may be read between adds without disturbing later ones.
  close(first, pixelAuroc(prob.subarray(0, half), isOne.subarray(0, half), fov.subarray(0, half))!);
  assert.throws(() => acc.add([0.1, NaN], [0, 1]), MedprobeError);
});

// A 3-slice volume of 2×2 slices, class 1 only:
//   gt   [1 1 / 0 0]  [0 0 / 0 0]  [1 0 / 0 0]
//   pred [1 0 / 0 0]  [0 1 / 0 0]  [1 0 / 0 0]
// Whole volume: G 3, P 3, I 2 → Dice 4/6. Per slice: 2/3, 0 (gt empty, one false positive), 1 → mean 5/9.
const gtVol = [1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];
const predVol = [1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0];

test('3D: a volume is scored over all its voxels, not as a mean of slices', () => {
  close(evaluateSegmentation(predVol, gtVol, 2).dice[1], 2 / 3);
});

test('accumulator: slices streamed under one caseId equal the whole volume; per-case and pooled are both reported', () => {
  const vol = createSegmentationAccumulator(2);
  for (let z = 0; z < 3; z++) vol.add(predVol.slice(4 * z, 4 * z + 4), gtVol.slice(4 * z, 4 * z + 4), undefined, 'vol');
  const v = vol.result();
  assert.equal(v.cases.length, 1);
  assert.equal(v.cases[0].id, 'vol');
  close(v.meanDice, 2 / 3);
  close(v.cases[0].dice[1], 2 / 3);

  // Each slice its own case: reported meanDice is the mean over cases (5/9); pooled pixels give 2/3.
  const slices = createSegmentationAccumulator(2, { emptyEmpty: 'skip' });
  for (let z = 0; z < 3; z++) slices.add(predVol.slice(4 * z, 4 * z + 4), gtVol.slice(4 * z, 4 * z + 4));
  const r = slices.result();
  assert.deepEqual(r.cases.map((c) => c.id), ['0', '1', '2']);
  close(r.meanDice, 5 / 9);
  close(r.perClassDice[1], 5 / 9);
  assert.equal(r.perClassDice[0], null);
  close(r.pooled.dice[1], 2 / 3);
  // Per-case IoU: 1/2, 0, 1 → 1/2; pooled IoU 2/4.
  close(r.meanIoU, 0.5);
  close(r.pooled.iou[1], 0.5);
  assert.deepEqual(r.policy, { includeBackground: false, emptyEmpty: 'skip' });
});

test('accumulator with no cases reports nulls; bad label maps are MedprobeErrors', () => {
  const r = createSegmentationAccumulator(3).result();
  assert.equal(r.meanDice, null);
  assert.equal(r.pooled.accuracy, null);
  assert.throws(() => evaluateSegmentation([0, 3], [0, 1], 3), MedprobeError);
  assert.throws(() => evaluateSegmentation([0, 1], [0, 1, 1], 3), MedprobeError);
  assert.throws(() => evaluateSegmentation([0, 1], [0, 1], 3, {}, [1]), MedprobeError);
  assert.throws(() => evaluateSegmentation([0, 0.5], [0, 1], 3), MedprobeError);
});

test('pixel AUROC is the same statistic as binaryAuroc', () => {
  const prob = [0.3, 0.3, 0.7, 0.1, 0.7, 0.5];
  const y = [0, 1, 1, 0, 0, 1];
  assert.equal(pixelAuroc(prob, y), binaryAuroc(y, prob));
});
