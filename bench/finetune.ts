/**
 * npm run bench:finetune — seconds per training step of a DINOv2-architecture ViT (default
 * ViT-S/14: dim 384, depth 12, 6 heads, 224 px, batch 16) with a new linear head, for LoRA
 * (r 48, α 16, dropout 0.1 on attn.qkv), BitFit and full fine-tuning: medprobe's FineTuner
 * (training graph derived by src/engine/autodiff, run by ONNX Runtime, AdamW in JS) against
 * PyTorch eager doing the same step (bench/reference/finetune_torch.py: forward, cross-entropy,
 * backward, clip_grad_norm_, AdamW) on the same shapes and threads, in the same command. Per
 * method the two figures run in their own processes with rounds alternating; peak RSS is each
 * process's own per-round peak. Both models have random weights (speed does not depend on them).
 *
 * Run: npm run bench:finetune -- [--rounds 3] [--threads N] [--dim 384 --depth 12 --heads 6 --size 224 --batch 16] [--methods lora,bitfit,full]
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FineTuner } from '../src/engine/finetune/tuner.js';
import type { Method } from '../src/engine/finetune/methods.js';
import { writeTinyVitOnnx } from '../src/models/fixtures/tiny-vit.js';
import { sessionOptions } from '../src/models/onnx/session.js';
import { resolveCompute } from '../src/models/onnx/provider.js';
import { createRng } from '../src/util/random.js';
import { alternate, benchThreads, flag, printHeader, printTable, serveFigure, servedFigure, startMedprobeFigure, startTorchPeer, type RoundServer } from './peer.js';

const threads = benchThreads();
const shape = { dim: flag('dim', 384), depth: flag('depth', 12), heads: flag('heads', 6), size: flag('size', 224), patch: 14, batch: flag('batch', 16), rank: flag('rank', 48) };
const CLASSES = 2;
const METHODS: Record<string, Method> = {
  lora: { kind: 'lora', rank: shape.rank, alpha: 16, dropout: 0.1, targets: ['qkv'] },
  bitfit: { kind: 'bitfit' },
  full: { kind: 'full' },
};

const serve = servedFigure();
if (serve) {
  const method = serve.replace(/^medprobe /, '');
  let trainable = 0;
  await serveFigure(async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-bench-ft-'));
    const file = path.join(dir, 'vit.onnx');
    await writeTinyVitOnnx(file, { dim: shape.dim, depth: shape.depth, heads: shape.heads, size: shape.size, patchSize: shape.patch, dynamicHW: false, seed: 1 });
    const tuner = await FineTuner.create({
      model: await fs.readFile(file), input: 'pixel_values', features: 'last_hidden_state', pooling: { kind: 'cls' }, dim: shape.dim, classes: CLASSES, loss: 'softmax-ce',
      method: METHODS[method], batch: shape.batch, size: shape.size, lr: { backbone: 2e-4, head: 5e-3 }, weightDecay: 0.01, clipNorm: 1, totalSteps: 1000, seed: 0,
      // The options a run gives it (units.ts): explicit threads, idle threads not spinning.
      sessionOptions: sessionOptions(await resolveCompute({ threads })),
    });
    await fs.rm(dir, { recursive: true, force: true });
    trainable = tuner.counts.trainable;
    const rng = createRng(2);
    const pixels = Float32Array.from({ length: shape.batch * 3 * shape.size * shape.size }, () => rng.normal());
    const target = new Float32Array(shape.batch * CLASSES);
    for (let b = 0; b < shape.batch; b++) target[b * CLASSES + (b % CLASSES)] = 1;
    return () => tuner.step(pixels, target);
  }, { get trainable() { return trainable; } });
} else {
  const script = new URL(import.meta.url).pathname;
  const methods = (process.argv.includes('--methods') ? process.argv[process.argv.indexOf('--methods') + 1] : 'lora,bitfit,full').split(',');
  await printHeader(
    `bench:finetune — one training step: DINOv2-architecture ViT dim ${shape.dim}, depth ${shape.depth}, ${shape.heads} heads, ${shape.size} px, patch ${shape.patch}, batch ${shape.batch}, linear head, cross-entropy, AdamW, clipping`,
    threads,
  );
  const peerArgs = ['--dim', shape.dim, '--depth', shape.depth, '--heads', shape.heads, '--size', shape.size, '--patch', shape.patch, '--batch', shape.batch, '--rank', shape.rank];
  for (const method of methods) {
    if (!METHODS[method]) throw new Error(`unknown method '${method}' (lora, bitfit, full)`);
    const servers: RoundServer[] = [await startMedprobeFigure(script, `medprobe ${method}`)];
    const peer = await startTorchPeer(method, method, peerArgs, threads, 'bench/reference/finetune_torch.py');
    if (peer) servers.push(peer);
    console.log(`\n# ${method}: trainable parameters medprobe ${servers[0].hello.trainable}${peer ? `, torch ${peer.hello.trainable}` : ''} (both include the ${shape.dim}×${CLASSES} head)`);
    const results = await alternate(servers.map((s) => s.figure), flag('rounds', 3));
    printTable(`${method} training step`, results, { unit: 'img', perRound: shape.batch, against: peer?.name });
    for (const s of servers) s.close();
  }
}
