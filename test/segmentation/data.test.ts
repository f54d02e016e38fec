import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDrive } from '../../src/data/segmentation/drive.js';
import { loadSegFolder2D } from '../../src/data/segmentation/folder-2d.js';
import { loadNiftiPair, cropToLabelGrid } from '../../src/data/segmentation/nifti-pair.js';
import { readNifti } from '../../src/data/nifti/read.js';
import { checkTrainable } from '../../src/protocols/segmentation/train.js';
import { MedprobeError } from '../../src/util/errors.js';
import { writeGrayGif, writeGrayPng, writeNifti, writeTiff } from './fixtures.js';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-seg-'));
  try {
    await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function rejectsOneLine(p: Promise<unknown>, ...mustMention: string[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof MedprobeError, `expected MedprobeError, got ${String(e)}`);
    const line = e.oneLine();
    assert.ok(!line.includes('\n'));
    for (const m of mustMention) assert.ok(line.includes(m), `"${line}" should mention ${m}`);
    return true;
  });
}

test('DRIVE layout: TIFF image, GIF vessel mask (0/255) and FOV mask decode to classes', async () => {
  await withTmp(async (dir) => {
    const w = 6, h = 4;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 7) % 256);
    const vessel = Uint8Array.from({ length: w * h }, (_, i) => (i % 5 === 0 ? 255 : 0));
    const fov = Uint8Array.from({ length: w * h }, (_, i) => (i % w === 0 ? 0 : 255));
    await writeTiff(path.join(dir, 'test/images/01_test.tif'), rgb, w, h);
    await writeGrayGif(path.join(dir, 'test/1st_manual/01_manual1.gif'), vessel, w, h);
    await writeGrayGif(path.join(dir, 'test/mask/01_test_mask.gif'), fov, w, h);
    const ds = await loadDrive(dir, 'test');
    assert.deepEqual(ds.classes, ['background', 'vessel']);
    const c = ds.cases[0];
    assert.equal(c.id, '01');
    assert.equal(c.image.channels, 3);
    assert.deepEqual(Array.from(c.image.data), Array.from(rgb));
    assert.deepEqual(Array.from(c.mask), Array.from(vessel, (v) => (v ? 1 : 0)));
    assert.deepEqual(Array.from(c.fov!), Array.from(fov, (v) => (v ? 1 : 0)));
  });
});

test('PNG folder with a card maps mask values to class indices', async () => {
  await withTmp(async (dir) => {
    const w = 5, h = 3;
    await fs.writeFile(path.join(dir, 'card.yaml'), 'name: organs\nclasses:\n  - { name: background, value: 0 }\n  - { name: liver, value: 100 }\n  - { name: spleen, value: 200 }\n');
    const mask = Uint8Array.from({ length: w * h }, (_, i) => [0, 100, 200][i % 3]);
    await writeGrayPng(path.join(dir, 'images/a.png'), new Uint8Array(w * h).fill(9), w, h);
    await writeGrayPng(path.join(dir, 'masks/a.png'), mask, w, h);
    const ds = await loadSegFolder2D(dir);
    assert.deepEqual(ds.classes, ['background', 'liver', 'spleen']);
    assert.deepEqual(Array.from(ds.cases[0].mask), Array.from({ length: w * h }, (_, i) => i % 3));
    assert.equal(ds.cases[0].image.channels, 1);
  });
});

test('mask size ≠ image size names both files', async () => {
  await withTmp(async (dir) => {
    await fs.writeFile(path.join(dir, 'card.yaml'), 'name: x\nclasses: [{ name: bg, value: 0 }, { name: fg, value: 255 }]\n');
    await writeGrayPng(path.join(dir, 'images/a.png'), new Uint8Array(12), 4, 3);
    await writeGrayPng(path.join(dir, 'masks/a.png'), new Uint8Array(12), 3, 4);
    await rejectsOneLine(loadSegFolder2D(dir), path.join(dir, 'images/a.png'), path.join(dir, 'masks/a.png'), '3×4', '4×3');
  });
});

test('a mask value missing from the card is a clear error', async () => {
  await withTmp(async (dir) => {
    await fs.writeFile(path.join(dir, 'card.yaml'), 'name: x\nclasses: [{ name: bg, value: 0 }, { name: fg, value: 255 }]\n');
    await writeGrayPng(path.join(dir, 'images/a.png'), new Uint8Array(4), 2, 2);
    await writeGrayPng(path.join(dir, 'masks/a.png'), Uint8Array.from([0, 255, 128, 0]), 2, 2);
    await rejectsOneLine(loadSegFolder2D(dir), 'masks/a.png', 'value 128');
  });
});

test('all-background training set is refused before training', () => {
  const set = { n: 1, grids: [], shapes: [], labels: new Uint8Array(16), height: 4, width: 4 };
  assert.throws(() => checkTrainable(set, 2, 'train'), (e: unknown) => e instanceof MedprobeError && /every training pixel is background/.test(e.message));
  const valid = new Uint8Array(16);
  const labels = new Uint8Array(16);
  labels[3] = 1; // foreground only outside the valid region still counts as all-background
  assert.throws(() => checkTrainable({ ...set, labels, valid }, 2, 'train'), MedprobeError);
  assert.doesNotThrow(() => checkTrainable({ ...set, labels }, 2, 'train'));
});

const AFFINE = [-2, 0, 0, 10, 0, 2, 0, -20, 0, 0, 3, 5, 0, 0, 0, 1];

test('NIfTI label map on another grid names both files; label values outside the card are refused', async () => {
  await withTmp(async (dir) => {
    const img = path.join(dir, 'img.nii.gz');
    await writeNifti(img, [4, 3, 2], new Int16Array(24).fill(7), AFFINE);
    const other = path.join(dir, 'lab-other.nii.gz');
    await writeNifti(other, [4, 3, 3], new Uint8Array(36), AFFINE);
    await rejectsOneLine(loadNiftiPair(img, other), 'not on the grid', img, other);
    const shifted = path.join(dir, 'lab-shifted.nii.gz');
    await writeNifti(shifted, [4, 3, 2], new Uint8Array(24), AFFINE.map((v, i) => (i === 3 ? v + 0.5 : v)));
    await rejectsOneLine(loadNiftiPair(img, shifted), 'not on the grid', shifted);
    const lab = path.join(dir, 'lab.nii.gz');
    await writeNifti(lab, [4, 3, 2], Uint8Array.from({ length: 24 }, (_, i) => (i === 5 ? 3 : 0)), AFFINE);
    await rejectsOneLine(loadNiftiPair(img, lab, { card: { name: 'c', classes: [{ name: 'bg', value: 0 }, { name: 'a', value: 1 }] } }), 'value 3');
    const pair = await loadNiftiPair(img, lab);
    assert.deepEqual(pair.values, [0, 3]);
    // Stored voxel 5 is (x=1, y=1, z=0); the affine's −2 on x makes the file LAS, and src/data/nifti
    // reads RAS+ canonical, so x flips: (4−1−1, 1, 0) = index 6.
    assert.equal(pair.labels[6], 1);
    assert.equal(pair.labels.reduce((a, b) => a + b, 0), 1);
  });
});

test('label map on a whole-voxel sub-block of the image grid: exact crop, else null', async () => {
  await withTmp(async (dir) => {
    const big = Float32Array.from({ length: 5 * 4 * 3 }, (_, i) => i);
    const img = path.join(dir, 'img.nii');
    await writeNifti(img, [5, 4, 3], big, AFFINE);
    // Sub-block starting at voxel (1, 2, 1): world origin moves by A·(1,2,1) = (-2, 4, 3).
    const sub = path.join(dir, 'sub.nii');
    await writeNifti(sub, [2, 2, 2], new Uint8Array(8), AFFINE.map((v, i) => (i === 3 ? v - 2 : i === 7 ? v + 4 : i === 11 ? v + 3 : v)));
    const cropped = cropToLabelGrid(await readNifti(img, { canonical: false }), await readNifti(sub, { canonical: false }))!;
    const want: number[] = [];
    for (let z = 1; z < 3; z++) for (let y = 2; y < 4; y++) for (let x = 1; x < 3; x++) want.push((z * 4 + y) * 5 + x);
    assert.deepEqual(Array.from(cropped.data), want);
    const half = path.join(dir, 'half.nii');
    await writeNifti(half, [2, 2, 2], new Uint8Array(8), AFFINE.map((v, i) => (i === 3 ? v - 1 : v)));
    assert.equal(cropToLabelGrid(await readNifti(img, { canonical: false }), await readNifti(half, { canonical: false })), null);
  });
});
