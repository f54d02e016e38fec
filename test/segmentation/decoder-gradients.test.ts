import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecoderEngine, type SegBatch } from '../../src/engine/seg/decoder-engine.js';
import type { DecoderSpec, SegLossSpec } from '../../src/engine/seg/decoder-spec.js';
import { bilinearMatrix } from '../../src/engine/seg/resize-matrix.js';
import { createRng } from '../../src/util/random.js';

function randomBatch(spec: DecoderSpec, n: number, seed: number): SegBatch {
  const rng = createRng(seed);
  const { classes: K, outHeight: H, outWidth: W } = spec;
  const feats = spec.inputs.map((s) => Float32Array.from({ length: n * s.channels * s.height * s.width }, () => rng.normal()));
  const target = new Float32Array(n * K * H * W);
  const valid = new Float32Array(n * H * W);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < H * W; p++) {
      target[(i * K + rng.int(K)) * H * W + p] = 1;
      valid[i * H * W + p] = rng.next() < 0.8 ? 1 : 0;
    }
  }
  return { n, feats, target, valid };
}

/**
 * Central differences along a random direction per parameter tensor, compared with g·d from
 * the hand-written backward graph. eps 1e-3 keeps ReLU kinks from biasing the difference;
 * float32 noise is ~1e-4 absolute here, so 5% relative is a real check, not a formality
 * (a dropped term or wrong sign is off by 30–200%).
 */
async function checkGradients(spec: DecoderSpec, loss: SegLossSpec, mode: 'conv' | 'gemm'): Promise<void> {
  const e = await DecoderEngine.create({ spec, loss, seed: 1, weightGradMode: mode });
  const b = randomBatch(spec, 2, 5);
  const { grads } = await e.lossAndGrads(b);
  const rng = createRng(9);
  const eps = 1e-3;
  for (const [name, p] of e.params) {
    const g = grads.get(name)!;
    const d = Float32Array.from(p, () => rng.normal());
    let gd = 0;
    for (let i = 0; i < p.length; i++) gd += g[i] * d[i];
    const orig = Float32Array.from(p);
    for (let i = 0; i < p.length; i++) p[i] = orig[i] + eps * d[i];
    const lp = (await e.lossAndGrads(b)).loss;
    for (let i = 0; i < p.length; i++) p[i] = orig[i] - eps * d[i];
    const lm = (await e.lossAndGrads(b)).loss;
    p.set(orig);
    const fd = (lp - lm) / (2 * eps);
    assert.ok(Math.abs(gd - fd) <= 0.05 * Math.abs(fd) + 2e-4, `${spec.kind}/${mode} ${name}: analytic ${gd} vs finite difference ${fd}`);
  }
  await e.dispose();
}

const grids = [
  { channels: 6, height: 2, width: 2 },
  { channels: 5, height: 4, width: 4 },
  { channels: 4, height: 4, width: 4 },
];

test('U-Net decoder gradients match finite differences (Dice + CE, both dW formulations)', async () => {
  const spec: DecoderSpec = { kind: 'unet', inputs: grids, classes: 3, outHeight: 12, outWidth: 10, widths: [4, 3, 2] };
  await checkGradients(spec, { dice: 1, ce: 0.5, includeBackground: false }, 'conv');
  await checkGradients(spec, { dice: 1, ce: 0, includeBackground: true }, 'gemm');
});

test('linear decoder gradients match finite differences', async () => {
  const spec: DecoderSpec = { kind: 'linear', inputs: grids, classes: 3, outHeight: 12, outWidth: 10 };
  await checkGradients(spec, { dice: 1, ce: 1, includeBackground: false }, 'conv');
});

test('linear decoder probabilities equal a JS reference (1×1 conv, bias, bilinear, channel softmax), finite at huge logits', async () => {
  const spec: DecoderSpec = { kind: 'linear', inputs: [{ channels: 3, height: 2, width: 3 }], classes: 3, outHeight: 5, outWidth: 4 };
  const e = await DecoderEngine.create({ spec, loss: { dice: 1, ce: 0, includeBackground: false }, seed: 2 });
  const w = e.params.get('lin0_w')!;
  const bias = e.params.get('lin_b')!;
  bias.set([0.5, -1, 2]);
  const x = Float32Array.from({ length: 2 * 3 * 6 }, (_, i) => ((i * 37) % 11) - 5);
  const ah = bilinearMatrix(5, 2);
  const aw = bilinearMatrix(4, 3);
  for (const scale of [1, 1e4]) {
    w.set(Array.from({ length: 9 }, (_, i) => scale * (((i * 5) % 7) - 3) / 3));
    const probs = await e.predict([x], 2);
    for (let n = 0; n < 2; n++) {
      for (let r = 0; r < 5; r++) {
        for (let col = 0; col < 4; col++) {
          const z = [0, 1, 2].map((k) => {
            let v = bias[k];
            for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let ch = 0; ch < 3; ch++) v += ah[r * 2 + i] * aw[col * 3 + j] * w[k * 3 + ch] * x[((n * 3 + ch) * 2 + i) * 3 + j];
            return v;
          });
          const m = Math.max(...z);
          const ez = z.map((v) => Math.exp(v - m));
          const s = ez[0] + ez[1] + ez[2];
          for (let k = 0; k < 3; k++) {
            const got = probs[((n * 3 + k) * 5 + r) * 4 + col];
            assert.ok(Number.isFinite(got) && Math.abs(got - ez[k] / s) < 1e-4 * Math.max(1, scale / 100), `scale ${scale} (${n},${k},${r},${col}): ${got} vs ${ez[k] / s}`);
          }
        }
      }
    }
  }
  await e.dispose();
});

test('bilinear matrix equals torch F.interpolate(align_corners=False)', () => {
  // x = [[1,2,4],[3,5,-1]] resized to 3×5; reference printed by torch 1.13:
  // F.interpolate(x[None,None], size=(3,5), mode='bilinear', align_corners=False)
  const want = [1.0, 1.4, 2.0, 3.2, 4.0, 2.0, 2.6, 3.5, 2.3, 1.5, 3.0, 3.8, 5.0, 1.4, -1.0];
  const x = [1, 2, 4, 3, 5, -1];
  const ah = bilinearMatrix(3, 2);
  const aw = bilinearMatrix(5, 3);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 5; c++) {
      let v = 0;
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) v += ah[r * 2 + i] * x[i * 3 + j] * aw[c * 3 + j];
      assert.ok(Math.abs(v - want[r * 5 + c]) < 1e-5, `(${r},${c}) ${v} vs ${want[r * 5 + c]}`);
    }
  }
});

test('training a U-Net decoder on a learnable synthetic task drives the loss down, reproducibly', async () => {
  // The mask is "feature channel 0 of the deepest grid > 0", upsampled: learnable from the features.
  const spec: DecoderSpec = { kind: 'unet', inputs: [{ channels: 4, height: 4, width: 4 }, { channels: 3, height: 8, width: 8 }], classes: 2, outHeight: 16, outWidth: 16, widths: [8, 4] };
  const run = async (): Promise<number[]> => {
    const e = await DecoderEngine.create({ spec, loss: { dice: 1, ce: 1, includeBackground: false }, seed: 3, lr: 1e-2 });
    const b = randomBatch(spec, 4, 11);
    b.valid.fill(1);
    b.target.fill(0);
    for (let n = 0; n < 4; n++) {
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) {
          const on = b.feats[0][((n * 4 + 0) * 4 + (y >> 2)) * 4 + (x >> 2)] > 0 ? 1 : 0;
          b.target[((n * 2 + on) * 16 + y) * 16 + x] = 1;
        }
      }
    }
    const losses: number[] = [];
    for (let s = 0; s < 60; s++) losses.push(await e.step(b));
    await e.dispose();
    return losses;
  };
  const a = await run();
  assert.ok(a[a.length - 1] < 0.35 * a[0], `loss ${a[0]} → ${a[a.length - 1]}`);
  assert.deepEqual(await run(), a, 'same seed, same losses');
});
