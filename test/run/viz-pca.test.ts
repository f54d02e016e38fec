import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { writeNpz, medmnistArrays } from '../data/npz-fixture.js';
import { writeTinyVitCard, writeTinyVitOnnx } from '../../src/models/fixtures/tiny-vit.js';
import { readPcaManifest, vizPca } from '../../src/run/viz-pca.js';

test('viz pca maps ViT patch tokens of a few images to RGB PNGs at patch resolution, with a manifest', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-pca-'));
  try {
    const vit = { size: 56, patchSize: 14, dim: 16, depth: 2, heads: 2 };
    await writeNpz(path.join(dir, 'pneumoniamnist.npz'), medmnistArrays({ counts: [2, 2, 3], imageShape: [28, 28] }));
    await writeTinyVitOnnx(path.join(dir, 'vit.onnx'), vit);
    await writeTinyVitCard(path.join(dir, 'vit.json'), path.join(dir, 'vit.onnx'), vit);
    const out = path.join(dir, 'pca');
    const m = await vizPca({ model: { card: path.join(dir, 'vit.json') }, data: path.join(dir, 'pneumoniamnist.npz'), count: 3, outDir: out, threshold: null });
    assert.equal(m.map, 'block:-1');
    assert.equal(m.images.length, 3);
    // threshold none: the RGB components come from one PCA over every patch, largest variance first
    const ev = m.eigenvalues.foreground;
    assert.equal(ev.length, 3);
    assert.ok(ev[0] >= ev[1] && ev[1] >= ev[2] && ev[2] > 0);
    assert.equal(m.foregroundFraction, 1);
    const png = PNG.sync.read(await fs.readFile(m.images[0].file));
    // 56 px / patch 14 → a 4×4 grid, scaled up for viewing by an integer factor
    assert.equal(png.width % 4, 0);
    assert.equal(png.width, png.height);
    assert.deepEqual(await readPcaManifest(out), m);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
