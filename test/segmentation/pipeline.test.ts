import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import type { SegDataset2D } from '../../src/data/segmentation/types.js';
import { loadNiftiPair } from '../../src/data/segmentation/nifti-pair.js';
import { tinyCnnCard, writeTinyCnnOnnx } from '../../src/models/fixtures/tiny-cnn.js';
import { extractTiledFeatures } from '../../src/protocols/segmentation/features-2d.js';
import { evaluateTiled } from '../../src/protocols/segmentation/evaluate-2d.js';
import { segmentVolume } from '../../src/protocols/segmentation/run-3d.js';
import { openTappedBackbone } from '../../src/protocols/segmentation/tapped-backbone.js';
import { trainDecoder } from '../../src/protocols/segmentation/train.js';
import { MRI_PERCENTILES } from '../../src/protocols/segmentation/volume-slices.js';
import { createRng } from '../../src/util/random.js';
import { writeNifti } from './fixtures.js';

/** Images with bright rectangles on a noisy dark background; the mask is the rectangles. */
function blobs(n: number, w: number, h: number, seed: number): SegDataset2D {
  const rng = createRng(seed);
  const cases = Array.from({ length: n }, (_, i) => {
    const mask = new Uint8Array(w * h);
    const data = new Uint8Array(w * h * 3);
    for (let b = 0; b < 3; b++) {
      const x0 = rng.int(w - 10), y0 = rng.int(h - 10), bw = 4 + rng.int(6), bh = 4 + rng.int(6);
      for (let y = y0; y < y0 + bh; y++) for (let x = x0; x < x0 + bw; x++) mask[y * w + x] = 1;
    }
    for (let p = 0; p < w * h; p++) for (let c = 0; c < 3; c++) data[3 * p + c] = mask[p] ? 200 + rng.int(40) : 20 + rng.int(40);
    return { id: `c${i}`, image: { kind: '2d' as const, width: w, height: h, channels: 3, data }, mask, files: { image: `c${i}.png`, mask: `c${i}_mask.png` } };
  });
  return { name: 'blobs', classes: ['background', 'blob'], cases };
}

async function withTinyBackbone(fn: (dir: string, open: () => ReturnType<typeof openTappedBackbone>) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-segpipe-'));
  try {
    const model = path.join(dir, 'tiny.onnx');
    await writeTinyCnnOnnx(model, { size: 32 });
    const { file: _f, ...card } = tinyCnnCard(model, { size: 32 });
    await fn(dir, () => openTappedBackbone(model, card, ['relu0'], path.join(dir, 'cache'), { threads: 1 }));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

test('2D: tiled features of a CNN with an exposed stage → U-Net decoder → Dice, masks and overlays on disk', async () => {
  await withTinyBackbone(async (dir, open) => {
    const backbone = await open();
    const train = blobs(6, 44, 36, 1);
    const testSet = blobs(2, 44, 36, 2);
    const maps = ['feature_map', 'relu0'];
    const ftr = await extractTiledFeatures(train, backbone, maps);
    const fte = await extractTiledFeatures(testSet, backbone, maps);
    await backbone.dispose();
    assert.equal(ftr.n, 6 * 4, '44×36 images need 2×2 tiles of 32');
    assert.deepEqual(ftr.shapes, [{ channels: 16, height: 8, width: 8 }, { channels: 8, height: 16, width: 16 }]);
    const trained = await trainDecoder(ftr, { kind: 'unet', classes: 2, epochs: 25, batchSize: 8, lr: 1e-2, seed: 0, loss: { dice: 1, ce: 1, includeBackground: false }, widths: [8, 8], threads: 1 });
    assert.ok(trained.epochLosses[trained.epochLosses.length - 1] < trained.epochLosses[0]);
    const out = path.join(dir, 'out');
    const ev = await evaluateTiled(trained.engine, fte, testSet, { outDir: out, maskValues: [0, 255], overlays: 1 });
    await trained.engine.dispose();
    assert.ok(ev.scores.meanDice! > 0.8, `Dice ${ev.scores.meanDice}`);
    assert.ok(ev.pixelAuroc! > 0.95, `AUROC ${ev.pixelAuroc}`);
    assert.equal(ev.scores.policy.includeBackground, false);
    const png = PNG.sync.read(await fs.readFile(path.join(out, 'masks', 'c0.png')));
    assert.deepEqual([png.width, png.height], [44, 36]);
    assert.ok([...png.data].every((v, i) => i % 4 === 3 || v === 0 || v === 255), 'mask written in the card encoding');
    const ov = PNG.sync.read(await fs.readFile(path.join(out, 'overlays', 'c0.png')));
    assert.deepEqual([ov.width, ov.height], [3 * 44, 36]);
  });
});

test('3D: NIfTI pair sliced, decoded, scored as a volume, written back on the same grid', async () => {
  await withTinyBackbone(async (dir, open) => {
    const [nx, ny, nz] = [20, 18, 8];
    const rng = createRng(4);
    const img = new Int16Array(nx * ny * nz);
    const lab = new Uint8Array(nx * ny * nz);
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          const i = (z * ny + y) * nx + x;
          const inside = Math.hypot(x - 9 - z * 0.3, y - 8) < 5;
          lab[i] = inside ? 2 : 0;
          img[i] = (inside ? 900 : 100) + rng.int(200);
        }
      }
    }
    const affine = [-1.5, 0, 0, 30, 0, 1.5, 0, -20, 0, 0, 2.5, 7, 0, 0, 0, 1];
    await writeNifti(path.join(dir, 'img.nii.gz'), [nx, ny, nz], img, affine);
    await writeNifti(path.join(dir, 'lab.nii.gz'), [nx, ny, nz], lab, affine);
    const pair = await loadNiftiPair(path.join(dir, 'img.nii.gz'), path.join(dir, 'lab.nii.gz'), { id: 'vol' });
    const backbone = await open();
    const r = await segmentVolume(pair, backbone, {
      axis: 'z', intensity: MRI_PERCENTILES, maps: ['feature_map', 'relu0'], kind: 'unet', epochs: 30, batchSize: 4, lr: 1e-2,
      loss: { dice: 1, ce: 1, includeBackground: false }, seed: 0, trainSlices: [0, 2, 4, 6], outDir: path.join(dir, 'out'), overlays: 2,
    });
    await backbone.dispose();
    assert.deepEqual(r.classes, ['background', 'label 2']);
    assert.ok(r.volume.meanDice! > 0.8, `volume Dice ${r.volume.meanDice}`);
    assert.equal(r.heldOut.slices, 4);
    assert.equal(r.roundTrip.affineMaxAbsDiff, 0);
    assert.equal(r.roundTrip.voxelsEqual, true);
  });
});
