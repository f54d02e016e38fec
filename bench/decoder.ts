/**
 * Seconds per training step of the segmentation decoders on a fixed shape (the reference
 * study's ViT-S/14 at 448 px): batch 8, four 384-d token grids of 32×32, output 448×448,
 * 2 classes, soft Dice, Adam. Compare with bench/reference/decoder_torch.py (same model).
 * Prints both 3×3 weight-gradient formulations so the choice in decoder-graph.ts stays measured.
 *
 * Run: npm run bench:decoder -- [steps] [threads]
 */
import os from 'node:os';
import { DecoderEngine, type SegBatch } from '../src/engine/seg/decoder-engine.js';
import type { DecoderSpec } from '../src/engine/seg/decoder-spec.js';
import type { WeightGradMode } from '../src/engine/seg/decoder-graph.js';
import { createRng } from '../src/util/random.js';

const steps = Number(process.argv[2] ?? 5);
const threads = process.argv[3] ? Number(process.argv[3]) : undefined;
const N = 8, D = 384, G = 32, OUT = 448, K = 2;

function batch(spec: DecoderSpec): SegBatch {
  const rng = createRng(1);
  const feats = spec.inputs.map((s) => Float32Array.from({ length: N * s.channels * s.height * s.width }, () => rng.normal()));
  const target = new Float32Array(N * K * OUT * OUT);
  const plane = OUT * OUT;
  for (let n = 0; n < N; n++) for (let p = 0; p < plane; p++) target[(n * K + (rng.next() < 0.2 ? 1 : 0)) * plane + p] = 1;
  return { n: N, feats, target, valid: new Float32Array(N * plane).fill(1) };
}

/**
 * Median seconds per step for each engine, timed in alternation (A, B, C, A, B, C, …) so that
 * load from other processes on the shared cores hits every variant alike.
 */
async function secondsPerStep(variants: { spec: DecoderSpec; mode: WeightGradMode }[]): Promise<number[]> {
  const engines = await Promise.all(variants.map((v) => DecoderEngine.create({ spec: v.spec, loss: { dice: 1, ce: 0, includeBackground: false }, seed: 0, weightGradMode: v.mode, threads })));
  const batches = variants.map((v) => batch(v.spec));
  for (let k = 0; k < engines.length; k++) await engines[k].step(batches[k]); // warm-up: ORT plans memory on the first run
  const times: number[][] = variants.map(() => []);
  for (let s = 0; s < steps; s++) {
    for (let k = 0; k < engines.length; k++) {
      const t0 = performance.now();
      await engines[k].step(batches[k]);
      times[k].push((performance.now() - t0) / 1000);
    }
  }
  await Promise.all(engines.map((e) => e.dispose()));
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

const grid = { channels: D, height: G, width: G };
const unet: DecoderSpec = { kind: 'unet', inputs: [grid, grid, grid, grid], classes: K, outHeight: OUT, outWidth: OUT };
const linear: DecoderSpec = { kind: 'linear', inputs: [grid], classes: K, outHeight: OUT, outWidth: OUT };

console.log(`decoder bench: batch ${N}, 4×[${D}, ${G}, ${G}] → ${OUT}×${OUT}, ${K} classes; ${os.cpus().length} cores, ORT threads ${threads ?? 'default'}, median of ${steps}`);
const [unetConv, unetGemm, lin] = await secondsPerStep([
  { spec: unet, mode: 'conv' },
  { spec: unet, mode: 'gemm' },
  { spec: linear, mode: 'conv' },
]);
console.log(`unet   (dW as 9 GEMMs) s/step ${unetGemm.toFixed(4)}`);
console.log(`unet   (dW as Conv)    s/step ${unetConv.toFixed(4)}   ratio conv/gemm ${(unetConv / unetGemm).toFixed(2)}`);
console.log(`linear                 s/step ${lin.toFixed(4)}   ratio unet/linear ${(unetGemm / lin).toFixed(1)}`);
