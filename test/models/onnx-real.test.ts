import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBackbone } from '../../src/models/open.js';
import { isGridBackbone } from '../../src/models/backbone.js';
import { createRng } from '../../src/util/random.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = path.resolve(repoRoot, '../shared');
const model = path.join(shared, 'models', 'mobilenetv2-035-imagenet.onnx');
const skip = existsSync(model) ? false : `real model absent: ${model} (../shared not present)`;

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-onnx-real-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('MobileNetV2-0.35 ONNX from ../shared', { skip }, () => {
  it('pooled is [N,1280]; batch 8 equals 8 × batch 1; pooled = mean of feature_map', async () => {
    const cardFile = path.join(dir, 'mobilenet.json');
    await fs.writeFile(
      cardFile,
      JSON.stringify({
        name: 'mobilenetv2-035-imagenet',
        file: path.relative(dir, model),
        input: { name: 'pixel_values', layout: 'NCHW', size: 224, rescale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
        outputs: { pooled: 'pooled', map: 'feature_map' },
      }),
    );
    const bb = await openBackbone({ card: cardFile });
    try {
      assert.equal(bb.inputSize, 224);
      const per = 3 * 224 * 224;
      const rng = createRng(42);
      const x = new Float32Array(8 * per).map(() => rng.next() * 2 - 1);
      const all = await bb.run(x, 8, ['pooled', 'map']);
      assert.equal(all.pooled.rows, 8);
      assert.equal(all.pooled.cols, 1280);
      let maxAbs = 0;
      let maxDiff = 0;
      for (let i = 0; i < 8; i++) {
        const one = await bb.run(x.subarray(i * per, (i + 1) * per), 1, ['pooled']);
        for (let j = 0; j < 1280; j++) {
          maxAbs = Math.max(maxAbs, Math.abs(all.pooled.data[i * 1280 + j]));
          maxDiff = Math.max(maxDiff, Math.abs(one.pooled.data[j] - all.pooled.data[i * 1280 + j]));
        }
      }
      assert.ok(maxAbs > 0.1, 'features are not all ~0');
      assert.ok(maxDiff <= 1e-5 * maxAbs, `batch-1 vs batch-8 differ by ${maxDiff}`);
      for (let k = 0; k < all.map.data.length; k++) assert.ok(Math.abs(all.map.data[k] - all.pooled.data[k]) < 1e-4);
      assert.ok(isGridBackbone(bb));
      const grid = await bb.runGrid(x.subarray(0, 2 * per), 2, ['feature_map']);
      assert.deepEqual(grid.feature_map.dims, [2, 1280, 7, 7]);
    } finally {
      await bb.dispose();
    }
  });

  it('opens the bare ONNX file with an inferred card', async () => {
    const bb = await openBackbone({ onnx: model });
    try {
      assert.equal(bb.inputSize, 224);
      assert.deepEqual([...bb.features].sort(), ['feature_map', 'pooled']);
    } finally {
      await bb.dispose();
    }
  });
});
