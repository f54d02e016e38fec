import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFakeHubFolder } from '../../src/models/fixtures/hub-folder.js';
import { cardFromHubFolder } from '../../src/models/hub-folder.js';
import { openBackbone } from '../../src/models/open.js';
import { MedprobeError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/random.js';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-hub-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const isMedprobe = (re: RegExp) => (e: unknown) => e instanceof MedprobeError && re.test(e.oneLine());

describe('cardFromHubFolder', () => {
  it('reads a DINOv2-style transformers.js folder into a card', async () => {
    const folder = path.join(dir, 'dinov2-tiny');
    await writeFakeHubFolder(folder, { seed: 5, depth: 4 });
    const { card, modelPath } = await cardFromHubFolder(folder);
    assert.equal(modelPath, path.join(folder, 'onnx', 'model.onnx'));
    assert.equal(card.format, 'onnx');
    assert.equal(card.input.name, 'pixel_values');
    assert.equal(card.input.size, 224);
    assert.equal(card.input.resizeShortestEdge, 256);
    assert.equal(card.input.cropSize, 224);
    assert.equal(card.input.resample, 'bicubic');
    assert.deepEqual(card.input.mean, [0.485, 0.456, 0.406]);
    assert.deepEqual(card.input.std, [0.229, 0.224, 0.225]);
    assert.ok(Math.abs(card.input.rescale - 1 / 255) < 1e-12);
    assert.deepEqual(card.outputs, { pooled: 'pooler_output' });
    assert.equal(card.defaultFeature, 'cls');
    assert.deepEqual(card.vit, { patchSize: 14, numRegisterTokens: 0, hasClsToken: true, tokensOutput: 'last_hidden_state' });
  });

  it('opens through openBackbone; pooler_output equals the CLS view', async () => {
    const folder = path.join(dir, 'dinov2-tiny');
    const bb = await openBackbone({ folder }, { cacheDir: path.join(dir, 'cache') });
    try {
      for (const f of ['pooled', 'cls', 'mean-patch', 'cls+mean-patch', 'last4/cls']) assert.ok(bb.features.includes(f), f);
      const rng = createRng(1);
      const x = new Float32Array(2 * 3 * 224 * 224).map(() => rng.normal());
      const out = await bb.run(x, 2, ['pooled', 'cls', 'last4/cls']);
      assert.deepEqual(out.pooled.data, out.cls.data);
      // The last block's CLS after the final norm is the model's CLS output.
      for (let i = 0; i < 2; i++) assert.deepEqual(out['last4/cls'].data.subarray(i * 128 + 96, i * 128 + 128), out.cls.data.subarray(i * 32, i * 32 + 32));
    } finally {
      await bb.dispose();
    }
  });

  it('reads num_register_tokens', async () => {
    const folder = path.join(dir, 'dinov2-reg');
    await writeFakeHubFolder(folder, { seed: 6, depth: 2, registers: 4 });
    const { card } = await cardFromHubFolder(folder);
    assert.equal(card.vit?.numRegisterTokens, 4);
  });

  it('ViT-style processors: plain square resize, no crop, bilinear, [-1,1] scaling', async () => {
    const folder = path.join(dir, 'vit-style');
    await writeFakeHubFolder(folder, { seed: 8, depth: 2 });
    const pre = path.join(folder, 'preprocessor_config.json');
    await fs.writeFile(
      pre,
      JSON.stringify({ do_normalize: true, do_rescale: true, do_resize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], resample: 2, rescale_factor: 1 / 255, size: { height: 224, width: 224 } }),
    );
    const { card } = await cardFromHubFolder(folder);
    assert.equal(card.input.size, 224);
    assert.equal(card.input.resizeShortestEdge, undefined);
    assert.equal(card.input.resample, 'bilinear');
    assert.deepEqual(card.input.mean, [0.5, 0.5, 0.5]);
    // Non-square inputs are refused with the file named.
    await fs.writeFile(pre, JSON.stringify({ size: { height: 224, width: 320 } }));
    await assert.rejects(cardFromHubFolder(folder), isMedprobe(/preprocessor_config\.json asks for a non-square 224x320 input/));
    // No normalisation, no rescale: raw pixels.
    await fs.writeFile(pre, JSON.stringify({ size: 64, do_normalize: false, do_rescale: false }));
    const raw = (await cardFromHubFolder(folder)).card.input;
    assert.deepEqual([raw.size, raw.rescale, raw.mean, raw.std], [64, 1, [0, 0, 0], [1, 1, 1]]);
  });

  it('missing preprocessor_config.json, config.json or variant are named', async () => {
    const folder = path.join(dir, 'no-pre');
    await writeFakeHubFolder(folder, { seed: 7, depth: 2, withPreprocessor: false });
    await assert.rejects(cardFromHubFolder(folder), isMedprobe(/hub folder .*no-pre has no preprocessor_config\.json/));
    await assert.rejects(cardFromHubFolder(path.join(dir, 'nothing')), isMedprobe(/nothing has no config\.json/));
    await assert.rejects(
      cardFromHubFolder(path.join(dir, 'dinov2-tiny'), { variant: 'model_fp16' }),
      isMedprobe(/neither onnx\/model_fp16\.onnx nor model_fp16\.onnx.*ONNX files present: onnx\/model/),
    );
  });
});
