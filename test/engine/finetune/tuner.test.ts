import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FineTuner, type FineTuneSpec } from '../../../src/engine/finetune/tuner.js';
import { writeTinyVitOnnx } from '../../../src/models/fixtures/tiny-vit.js';
import { createRng } from '../../../src/util/random.js';
import { withTempDir } from '../../helpers/assertions.js';

const SIZE = 16;
const N = 4;

/** Two classes told apart by the mean brightness of the image. */
function batch(seed: number): { pixels: Float32Array; target: Float32Array; labels: number[] } {
  const rng = createRng(seed);
  const labels = Array.from({ length: N }, (_, i) => i % 2);
  const pixels = new Float32Array(N * 3 * SIZE * SIZE);
  for (let n = 0; n < N; n++) for (let i = 0; i < 3 * SIZE * SIZE; i++) pixels[n * 3 * SIZE * SIZE + i] = 0.5 * rng.normal() + (labels[n] ? 0.8 : -0.8);
  return { pixels, target: Float32Array.from(labels.flatMap((l) => (l ? [0, 1] : [1, 0]))), labels };
}

async function spec(dir: string, method: FineTuneSpec['method']): Promise<FineTuneSpec> {
  const file = path.join(dir, 'vit.onnx');
  await writeTinyVitOnnx(file, { patchSize: 8, dim: 16, depth: 2, heads: 2, size: SIZE, dynamicHW: true, seed: 4 });
  return {
    model: await readFile(file), input: 'pixel_values', features: 'last_hidden_state', pooling: { kind: 'cls' }, dim: 16, classes: 2, loss: 'softmax-ce',
    method, batch: N, size: SIZE, lr: { backbone: 1e-2, head: 5e-2 }, totalSteps: 12, seed: 1,
  };
}

test('each method trains: loss falls over a few AdamW steps, with the trainable counts each implies', async () => {
  await withTempDir('ft', async (dir) => {
    const counts: Record<string, number> = {};
    const totals: Record<string, number> = {};
    for (const method of [{ kind: 'lora', rank: 4, dropout: 0.1 }, { kind: 'bitfit' }, { kind: 'full' }, { kind: 'linear' }] as const) {
      const t = await FineTuner.create(await spec(dir, method));
      const b = batch(3);
      const first = (await t.step(b.pixels, b.target)).loss;
      let last = first;
      for (let s = 0; s < 11; s++) last = (await t.step(b.pixels, b.target)).loss;
      assert.ok(last < first * 0.7, `${method.kind}: loss ${first} → ${last}`);
      counts[method.kind] = t.counts.trainable;
      totals[method.kind] = t.counts.total;
      await t.dispose();
    }
    // head 16·2+2 = 34; LoRA r=4 on qkv [16→48] in 2 blocks: 2·(16·4 + 4·48) = 512
    assert.equal(counts.linear, 34);
    assert.equal(counts.lora, 34 + 512);
    // biases: patch 16, per block LN 16+16, qkv 48, proj 16, fc1 64, fc2 16 (=176), final norm 16
    assert.equal(counts.bitfit, 34 + 16 + 2 * 176 + 16);
    assert.ok(counts.full > counts.bitfit);
    assert.equal(counts.full, totals.full, 'full fine-tuning trains every parameter');
    assert.equal(totals.bitfit, totals.full);
    assert.equal(totals.lora, totals.full + 512, 'adapters add to the total');
  });
});

test('a restored checkpoint continues exactly like the uninterrupted run', async () => {
  await withTempDir('ft', async (dir) => {
    const s = await spec(dir, { kind: 'lora', rank: 4, dropout: 0 });
    const a = await FineTuner.create(s);
    const b1 = batch(1);
    const b2 = batch(2);
    await a.step(b1.pixels, b1.target);
    const ck = structuredClone(a.checkpoint());
    await a.step(b2.pixels, b2.target);
    const b = await FineTuner.create(s);
    b.restore(ck);
    assert.equal(b.stepsDone, 1);
    await b.step(b2.pixels, b2.target);
    for (const [name, p] of a.params) assert.deepEqual(b.params.get(name), p, name);
    assert.deepEqual(await b.logits(b1.pixels), await a.logits(b1.pixels));
    await Promise.all([a.dispose(), b.dispose()]);
  });
});
