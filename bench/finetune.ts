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
 * --model mobilenetv2: the shared MobileNetV2 (α 0.35, 224 px, BN folded; the 1280-d `pooled`
 * output) instead, full fine-tuning and BitFit (LoRA targets attention). It skips with one line when
 * ../shared/models/mobilenetv2-035-imagenet.onnx is absent. No torch figure: the torch reference
 * builds ViTs only, and torchvision's MobileNetV2 is not the same network (Keras layout, ZeroPadding
 * before strided convs, folded BN), so medprobe's time is printed alone.
 * --baseline DIR: also time the same step from another checkout (e.g. a git worktree of an older
 * commit, node_modules linked) in the same alternation, with ratios against it instead of torch: a
 * before/after.
 *
 * Run: npm run bench:finetune -- [--rounds 3] [--threads N] [--dim 384 --depth 12 --heads 6 --size 224 --batch 16] [--methods lora,bitfit,full] [--model vit|mobilenetv2] [--baseline DIR]
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
const arg = (name: string): string | undefined => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : undefined);
const model = arg('model') ?? 'vit';
if (model !== 'vit' && model !== 'mobilenetv2') throw new Error(`--model ${model}: use vit or mobilenetv2`);
// A --baseline checkout's figure reads the orchestrator's file (its own ../shared may not exist).
const mobilenetFile = arg('mobilenet-file') ?? path.join(path.dirname(new URL(import.meta.url).pathname), '../../shared/models/mobilenetv2-035-imagenet.onnx');
const shape = { dim: flag('dim', 384), depth: flag('depth', 12), heads: flag('heads', 6), size: flag('size', 224), patch: 14, batch: flag('batch', 16), rank: flag('rank', 48) };
const CLASSES = 2;
const METHODS: Record<string, Method> = {
  lora: { kind: 'lora', rank: shape.rank, alpha: 16, dropout: 0.1, targets: ['qkv'] },
  bitfit: { kind: 'bitfit' },
  full: { kind: 'full' },
};

const serve = servedFigure();
if (serve) {
  const method = serve.replace(/^(medprobe|baseline) /, '');
  let trainable = 0;
  await serveFigure(async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-bench-ft-'));
    const file = path.join(dir, 'vit.onnx');
    if (model === 'vit') await writeTinyVitOnnx(file, { dim: shape.dim, depth: shape.depth, heads: shape.heads, size: shape.size, patchSize: shape.patch, dynamicHW: false, seed: 1 });
    const backbone = model === 'vit'
      ? { model: await fs.readFile(file), features: 'last_hidden_state', pooling: { kind: 'cls' } as const, dim: shape.dim }
      : { model: await fs.readFile(mobilenetFile), features: 'pooled', pooling: { kind: 'flatten' } as const, dim: 1280 };
    const tuner = await FineTuner.create({
      ...backbone, input: 'pixel_values', classes: CLASSES, loss: 'softmax-ce',
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
  const baseline = arg('baseline');
  const methods = (arg('methods') ?? (model === 'vit' ? 'lora,bitfit,full' : 'full,bitfit')).split(',');
  if (model === 'mobilenetv2' && !(await fs.stat(mobilenetFile).catch(() => null))) {
    console.log(`# bench:finetune --model mobilenetv2 skipped: ../shared/models/mobilenetv2-035-imagenet.onnx is absent`);
    process.exit(0);
  }
  const network = model === 'vit' ? `DINOv2-architecture ViT dim ${shape.dim}, depth ${shape.depth}, ${shape.heads} heads, ${shape.size} px, patch ${shape.patch}` : `MobileNetV2 α 0.35 (shared ONNX), ${shape.size} px`;
  await printHeader(`bench:finetune — one training step: ${network}, batch ${shape.batch}, linear head, cross-entropy, AdamW, clipping`, threads);
  const peerArgs = ['--dim', shape.dim, '--depth', shape.depth, '--heads', shape.heads, '--size', shape.size, '--patch', shape.patch, '--batch', shape.batch, '--rank', shape.rank];
  for (const method of methods) {
    if (!METHODS[method]) throw new Error(`unknown method '${method}' (lora, bitfit, full)`);
    const servers: RoundServer[] = [await startMedprobeFigure(script, `medprobe ${method}`)];
    if (baseline) servers.push(await startMedprobeFigure(path.resolve(baseline, 'bench/finetune.ts'), `baseline ${method}`, ['--mobilenet-file', mobilenetFile]));
    const peer = model === 'vit' && !baseline ? await startTorchPeer(method, method, peerArgs, threads, 'bench/reference/finetune_torch.py') : null;
    if (peer) servers.push(peer);
    console.log(`\n# ${method}: trainable parameters medprobe ${servers[0].hello.trainable}${servers[1] ? `, ${servers[1].name} ${servers[1].hello.trainable}` : ''} (with the ${model === 'vit' ? shape.dim : 1280}×${CLASSES} head)`);
    const results = await alternate(servers.map((s) => s.figure), flag('rounds', 3));
    printTable(`${method} training step`, results, { unit: 'img', perRound: shape.batch, against: servers[1]?.name });
    for (const s of servers) s.close();
  }
}
