import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBackbone } from '../../src/models/open.js';
import { openMedMNIST } from '../../src/data/medmnist/source.js';
import { preparerFor } from '../../src/run/preprocessing.js';
import { createPreparer } from '../../src/features/prepare.js';
import { requireSplit } from '../../src/data/types.js';

// Acceptance: the TF.js export (cut at out_relu, averaged) and the ONNX conversion of the same
// MobileNetV2-0.35 backbone give the same pooled features on real PneumoniaMNIST test images.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = path.resolve(repoRoot, '../shared');
const npz = path.join(shared, 'data', 'medmnist', 'pneumoniamnist.npz');
const tfjsModel = path.join(shared, 'models', 'mobilenetv2-035-imagenet-tfjs', 'model.json');
const onnxModel = path.join(shared, 'models', 'mobilenetv2-035-imagenet.onnx');
const skip = [npz, tfjsModel, onnxModel].every((f) => existsSync(f)) ? false : `../shared absent (${shared}): real PneumoniaMNIST / MobileNetV2 files not found`;

describe('MobileNetV2-0.35: TF.js export vs ONNX on 16 real PneumoniaMNIST test images', { skip }, () => {
  it('pooled features agree to cosine ≥ 0.999 per image', async () => {
    const ds = await openMedMNIST(npz);
    const tfjs = await openBackbone({ card: path.join(repoRoot, 'examples/models/mobilenetv2-035-imagenet-tfjs.yaml') });
    const onnx = await openBackbone({ card: path.join(repoRoot, 'examples/models/mobilenetv2-035-imagenet.yaml') });
    try {
      const n = 16;
      const per = 3 * 224 * 224;
      const batch = new Float32Array(n * per);
      // Both cards share preprocessing (224 px bilinear, x/127.5 - 1), so one prepared batch feeds both.
      assert.deepEqual(tfjs.card.input.mean, onnx.card.input.mean);
      const prepare = createPreparer(preparerFor(onnx, ds).spec);
      const test = requireSplit(ds, 'test');
      const images = await Promise.all(Array.from({ length: n }, async (_, i) => (await test.get(i)).image));
      const prepared = prepare(images);
      assert.equal(prepared.data.length, n * per);
      batch.set(prepared.data);
      let t0 = performance.now();
      const a = (await tfjs.run(batch, n, ['pooled'])).pooled;
      const tfjsMs = performance.now() - t0;
      t0 = performance.now();
      const b = (await onnx.run(batch, n, ['pooled'])).pooled;
      const onnxMs = performance.now() - t0;
      assert.equal(a.cols, 1280);
      assert.equal(b.cols, 1280);
      let minCos = 1;
      let maxDiff = 0;
      let maxAbs = 0;
      for (let i = 0; i < n; i++) {
        let dot = 0;
        let na = 0;
        let nb = 0;
        for (let j = 0; j < 1280; j++) {
          const u = a.data[i * 1280 + j];
          const v = b.data[i * 1280 + j];
          dot += u * v;
          na += u * u;
          nb += v * v;
          maxDiff = Math.max(maxDiff, Math.abs(u - v));
          maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        const cos = dot / Math.sqrt(na * nb);
        minCos = Math.min(minCos, cos);
        assert.ok(cos >= 0.999, `image ${i}: cosine ${cos}`);
      }
      assert.ok(maxAbs > 0.5, 'features are not degenerate');
      console.log(`# tfjs(${tfjs.runtime.name} ${tfjs.runtime.version}) vs onnx: min cosine ${minCos}, max |diff| ${maxDiff} (max |onnx| ${maxAbs}); 16 images: tfjs ${tfjsMs.toFixed(0)} ms, onnx ${onnxMs.toFixed(0)} ms`);
    } finally {
      await tfjs.dispose();
      await onnx.dispose();
    }
  });
});
