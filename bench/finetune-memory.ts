/**
 * Peak RSS of one FineTuner process (both ORT sessions, 2 training steps) for one method, depth
 * and batch of a ViT-S-width DINOv2-architecture ViT (dim 384, 6 heads, patch 14) — how the
 * training memory scales with batch and depth. One configuration per process, so each peak
 * (VmHWM) is its own:
 *
 *   for d in 2 4; do for b in 4 8 16; do node --import tsx bench/finetune-memory.ts lora $d $b; done; done
 */
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FineTuner } from '../src/engine/finetune/tuner.js';
import type { Method } from '../src/engine/finetune/methods.js';
import { writeTinyVitOnnx } from '../src/models/fixtures/tiny-vit.js';
import { createRng } from '../src/util/random.js';

const METHODS: Record<string, Method> = { lora: { kind: 'lora', rank: 48, alpha: 16, dropout: 0.1, targets: ['qkv'] }, bitfit: { kind: 'bitfit' }, full: { kind: 'full' } };
const [method = 'lora', depthArg = '2', batchArg = '8', sizeArg = '224'] = process.argv.slice(2);
const [depth, batch, size, dim] = [Number(depthArg), Number(batchArg), Number(sizeArg), 384];
if (!METHODS[method]) throw new Error(`unknown method '${method}' (lora, bitfit, full)`);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-ft-mem-'));
const file = path.join(dir, 'vit.onnx');
await writeTinyVitOnnx(file, { dim, depth, heads: 6, size, patchSize: 14, dynamicHW: false, seed: 1 });
const tuner = await FineTuner.create({
  model: await fs.readFile(file), input: 'pixel_values', features: 'last_hidden_state', pooling: { kind: 'cls' }, dim, classes: 2, loss: 'softmax-ce',
  method: METHODS[method], batch, size, lr: { backbone: 2e-4, head: 5e-3 }, totalSteps: 100, seed: 0, sessionOptions: { intraOpNumThreads: 2, interOpNumThreads: 1 },
});
await fs.rm(dir, { recursive: true, force: true });
const rng = createRng(2);
const pixels = Float32Array.from({ length: batch * 3 * size * size }, () => rng.normal());
const target = new Float32Array(batch * 2);
for (let b = 0; b < batch; b++) target[b * 2 + (b % 2)] = 1;
for (let s = 0; s < 2; s++) await tuner.step(pixels, target);
const peak = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
console.log(`${method} depth ${depth} batch ${batch} ${size} px: peak RSS ${peak.toFixed(0)} MB (trainable ${tuner.counts.trainable})`);
await tuner.dispose();
