/**
 * medprobe's side of the LoRA step check against PyTorch (bench/reference/lora_step_torch.py
 * drives it): derive the LoRA training graph of a torch.onnx export, run `steps` AdamW steps on
 * one fixed batch, and write the initial trainable tensors, each step's loss and the final
 * tensors as JSON, for the torch side to replay and compare.
 *
 *   node --import tsx scripts/lora-step.ts SPEC.json OUT.json
 * SPEC: { model, size, batch, classes, dim, rank, alpha, targets, lr, headLr, weightDecay, clipNorm, steps, seed, pixels, target }
 * (pixels / target: float32 little-endian files [batch,3,size,size] / one-hot [batch,classes]).
 */
import { promises as fs } from 'node:fs';
import { FineTuner } from '../src/engine/finetune/tuner.js';

interface Spec {
  model: string; size: number; batch: number; classes: number; dim: number; rank: number; alpha: number; targets: string[];
  lr: number; headLr: number; weightDecay: number; clipNorm: number; steps: number; seed: number; pixels: string; target: string;
}

const f32 = async (file: string) => {
  const b = await fs.readFile(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const plain = (m: Map<string, Float32Array>) => Object.fromEntries([...m].map(([k, v]) => [k, Array.from(v)]));

const [specFile, outFile] = process.argv.slice(2);
const spec = JSON.parse(await fs.readFile(specFile, 'utf8')) as Spec;
const tuner = await FineTuner.create({
  model: await fs.readFile(spec.model), input: 'pixel_values', features: 'last_hidden_state', pooling: { kind: 'cls' }, dim: spec.dim, classes: spec.classes,
  loss: 'softmax-ce', method: { kind: 'lora', rank: spec.rank, alpha: spec.alpha, dropout: 0, targets: spec.targets }, batch: spec.batch, size: spec.size,
  lr: { backbone: spec.lr, head: spec.headLr }, weightDecay: spec.weightDecay, clipNorm: spec.clipNorm, totalSteps: spec.steps, warmupSteps: 0, seed: spec.seed,
  sessionOptions: { intraOpNumThreads: 2, interOpNumThreads: 1 },
});
const initial = plain(tuner.params);
const pixels = await f32(spec.pixels);
const target = await f32(spec.target);
const losses: number[] = [];
const gradNorms: number[] = [];
for (let s = 0; s < spec.steps; s++) {
  const r = await tuner.step(pixels, target);
  losses.push(r.loss);
  gradNorms.push(r.gradNorm);
}
await fs.writeFile(outFile, JSON.stringify({ modules: tuner.loraModules, counts: tuner.counts, initial, losses, gradNorms, final: plain(tuner.params) }));
await tuner.dispose();
