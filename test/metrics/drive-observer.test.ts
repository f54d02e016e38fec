import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import omggif from 'omggif';
import { addOverlapCounts, createSegmentationAccumulator, emptyOverlapCounts } from '../../src/metrics/segmentation.js';

// Real-data check of the segmentation metrics: DRIVE's second human observer scored against
// the first, inside the FOV, all 20 test images pooled — the "2nd observer" row that DRIVE
// papers print (figures commonly tabulated for it: Se 0.7760, Sp 0.9724, Acc 0.9472).
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const drive = path.join(path.resolve(repoRoot, '../shared'), 'data/drive/test');
const skip = existsSync(drive) ? false : `DRIVE not found at ${drive} (../shared is absent in a fresh clone)`;

/** First channel of frame 0, thresholded: the manual GIFs are 0/255 (2nd_manual: near 0/255 RGB). */
function readMask(file: string): Uint8Array {
  const r = new omggif.GifReader(readFileSync(file));
  const rgba = new Uint8Array(r.width * r.height * 4);
  r.decodeAndBlitFrameRGBA(0, rgba);
  return Uint8Array.from({ length: r.width * r.height }, (_, i) => (rgba[4 * i] > 127 ? 1 : 0));
}

test('DRIVE 2nd observer vs 1st manual inside the FOV reproduces the published agreement', { skip }, () => {
  const acc = createSegmentationAccumulator(2, { includeBackground: true });
  const pooled = emptyOverlapCounts(2);
  for (let k = 1; k <= 20; k++) {
    const id = String(k).padStart(2, '0');
    const gt = readMask(path.join(drive, '1st_manual', `${id}_manual1.gif`));
    const second = readMask(path.join(drive, '2nd_manual', `${id}_manual2.gif`));
    const fov = readMask(path.join(drive, 'mask', `${id}_test_mask.gif`));
    acc.add(second, gt, fov, id);
    addOverlapCounts(pooled, second, gt, fov);
  }
  const r = acc.result();
  // Independent reference, computed once with PIL + scikit-learn 1.2.1 on the same pooled FOV pixels
  // (accuracy_score, f1_score, recall_score of vessels and of background):
  // 4538143 px, acc 0.9472812998620801, F1 0.7890592418670389, Se 0.7746365007123703, Sp 0.9724620211519068
  assert.equal(r.pooled.pixels, 4538143);
  assert.ok(Math.abs(r.pooled.accuracy! - 0.9472812998620801) < 1e-12);
  assert.ok(Math.abs(r.pooled.dice[1]! - 0.7890592418670389) < 1e-12);
  assert.ok(Math.abs(pooled.inter[1] / pooled.gt[1] - 0.7746365007123703) < 1e-12);
  assert.ok(Math.abs(pooled.inter[0] / pooled.gt[0] - 0.9724620211519068) < 1e-12);
  // Published 2nd-observer figures (rounded to 4 places in the literature).
  assert.ok(Math.abs(r.pooled.accuracy! - 0.9472) < 0.0005);
  assert.ok(Math.abs(pooled.inter[0] / pooled.gt[0] - 0.9724) < 0.0005);
  assert.ok(Math.abs(pooled.inter[1] / pooled.gt[1] - 0.776) < 0.002);
  // Reported (mean over images) and pooled Dice differ slightly, as they should.
  // Reference: numpy mean of per-image sklearn f1_score = 0.7881230577943906.
  assert.equal(r.cases.length, 20);
  assert.ok(Math.abs(r.perClassDice[1]! - 0.7881230577943906) < 1e-12);
});
