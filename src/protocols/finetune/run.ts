import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { labelWidth, type SplitSource, type TaskInfo } from '../../data/types.js';
import type { PrepareImages } from '../../features/prepare.js';
import { FineTuner, type FineTuneCheckpoint } from '../../engine/finetune/tuner.js';
import { foldShapes } from '../../engine/autodiff/fold.js';
import { loadGraph } from '../../engine/autodiff/ir.js';
import type { Method } from '../../engine/finetune/methods.js';
import type { Pooling } from '../../engine/finetune/head.js';
import type { ModelCard } from '../../models/card.js';
import { createRng } from '../../util/random.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { isMedprobeError, MedprobeError } from '../../util/errors.js';
import { bestCandidate, selectionScore } from '../select.js';
import { scoreWidth, type Candidate, type ProtocolOutcome } from '../types.js';

export interface FineTuneConfig {
  /** Backbone / adapter learning rates, selected on val. */
  lr: number[];
  headLr: number;
  epochs: number;
  batchSize: number;
  weightDecay: number;
  clipNorm: number;
  warmupFraction: number;
  /** Train on at most this many images (a seeded, class-stratified-by-order subset); null: all. */
  maxTrainImages: number | null;
  maxValImages: number | null;
}

export interface ImageSplits {
  train: SplitSource;
  val: SplitSource;
  test: SplitSource;
}

export interface FineTuneRun {
  modelBytes: Uint8Array;
  /** The file `modelBytes` came from, named in the autodiff's errors (which see only bytes). */
  modelPath?: string;
  card: ModelCard;
  inputSize: number;
  splits: ImageSplits;
  prepare: PrepareImages;
  task: TaskInfo;
  method: Method;
  config: FineTuneConfig;
  seed: number;
  selectionMetric: string;
  /** Where per-lr checkpoints go, so a killed run resumes; none: no checkpoints. */
  checkpointDir?: string;
  sessionOptions?: ort.InferenceSession.SessionOptions;
  log?: (line: string) => void;
}

/** Where the head reads: a ViT's tokens (CLS, or mean patch without CLS) or a CNN's pooled features. */
export function headInput(card: ModelCard): { features: string; pooling: Pooling } {
  if (card.vit) {
    const prefix = (card.vit.hasClsToken ? 1 : 0) + card.vit.numRegisterTokens;
    return { features: card.vit.tokensOutput, pooling: card.vit.hasClsToken ? { kind: 'cls' } : { kind: 'mean-patch', prefix } };
  }
  const outputs = Object.values(card.outputs);
  const pooled = card.outputs.pooled ?? card.outputs.embedding;
  return pooled ? { features: pooled, pooling: { kind: 'flatten' } } : { features: outputs[0], pooling: { kind: 'gap' } };
}

function subset(n: number, max: number | null, seed: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  if (max === null || max >= n) return idx;
  const rng = createRng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, max).sort((a, b) => a - b);
}

/** Prepared pixels and targets of a batch, padded to `batch` rows by repeating the last image. */
async function loadBatch(src: SplitSource, rows: number[], batch: number, prepare: PrepareImages, task: TaskInfo, classes: number): Promise<{ pixels: Float32Array; target: Float32Array }> {
  const padded = [...rows, ...Array(batch - rows.length).fill(rows[rows.length - 1])];
  const samples = await Promise.all(padded.map((i) => src.get(i)));
  const pixels = Float32Array.from(prepare(samples.map((s) => s.image)).data);
  const target = new Float32Array(batch * classes);
  const lw = labelWidth(task);
  padded.forEach((r, b) => {
    if (task.type === 'multi-label') for (let l = 0; l < lw; l++) target[b * classes + l] = src.labels[r * lw + l];
    else target[b * classes + src.labels[r * lw]] = 1;
  });
  return { pixels, target };
}

function softmaxScores(logits: Float32Array, rows: number, classes: number, task: TaskInfo): Float32Array {
  const w = scoreWidth(task);
  const out = new Float32Array(rows * w);
  for (let r = 0; r < rows; r++) {
    const z = logits.subarray(r * classes, (r + 1) * classes);
    if (task.type === 'multi-label') {
      for (let c = 0; c < classes; c++) out[r * w + c] = 1 / (1 + Math.exp(-z[c]));
      continue;
    }
    const mx = Math.max(...z);
    let s = 0;
    const e = Array.from(z, (v) => (s += Math.exp(v - mx), Math.exp(v - mx)));
    if (task.type === 'binary') out[r] = e[1] / s;
    else for (let c = 0; c < classes; c++) out[r * w + c] = e[c] / s;
  }
  return out;
}

async function predict(t: FineTuner, src: SplitSource, rows: number[], run: FineTuneRun, classes: number): Promise<Float32Array> {
  const B = run.config.batchSize;
  const out = new Float32Array(rows.length * scoreWidth(run.task));
  for (let s = 0; s < rows.length; s += B) {
    const part = rows.slice(s, s + B);
    const { pixels } = await loadBatch(src, part, B, run.prepare, run.task, classes);
    const scores = softmaxScores(await t.logits(pixels), B, classes, run.task);
    out.set(scores.subarray(0, part.length * scoreWidth(run.task)), s * scoreWidth(run.task));
  }
  return out;
}

function labelsOf(src: SplitSource, rows: number[], task: TaskInfo): Int32Array {
  const lw = labelWidth(task);
  const out = new Int32Array(rows.length * lw);
  rows.forEach((r, i) => out.set(src.labels.subarray(r * lw, (r + 1) * lw), i * lw));
  return out;
}

interface SavedCheckpoint {
  lr: number;
  epoch: number;
  /** Training loss of the last step before the checkpoint (reported for a resumed lr too). */
  loss: number;
  checkpoint: FineTuneCheckpoint;
}

/**
 * A checkpoint file: a uint32 header length, a JSON header (lr, epoch, loss, optimiser step, and
 * each tensor's name and length in order), then the float32 values of every parameter, first
 * moment and second moment. Binary, because full fine-tuning of a ViT-S holds 3 × 22 M floats,
 * which as JSON text would outgrow V8's largest string.
 */
type TensorGroup = 'params' | 'm' | 'v';
interface CheckpointHeader {
  lr: number;
  epoch: number;
  loss: number | null;
  step: number;
  tensors: { group: TensorGroup; name: string; length: number }[];
}

async function readCheckpoint(file: string): Promise<SavedCheckpoint | null> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    return null; // no checkpoint: train from the start
  }
  let header: CheckpointHeader;
  let headerLength: number;
  try {
    headerLength = bytes.readUInt32LE(0);
    header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as CheckpointHeader;
  } catch {
    throw new MedprobeError(`fine-tuning checkpoint ${file} is not one medprobe wrote`, { file, hint: 'delete it; that learning rate then trains from the start' });
  }
  const groups: Record<TensorGroup, Record<string, Float32Array>> = { params: {}, m: {}, v: {} };
  let at = 4 + headerLength;
  for (const t of header.tensors) {
    // Copied out of the file buffer: its offset need not be 4-byte aligned.
    groups[t.group][t.name] = new Float32Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + at + 4 * t.length));
    at += 4 * t.length;
  }
  if (at !== bytes.length) throw new MedprobeError(`fine-tuning checkpoint ${file} has ${bytes.length - at} bytes more than its tensors`, { file, hint: 'delete it; that learning rate then trains from the start' });
  return { lr: header.lr, epoch: header.epoch, loss: header.loss ?? NaN, checkpoint: { params: groups.params, optimizer: { step: header.step, m: groups.m, v: groups.v } } };
}

async function writeCheckpoint(file: string, saved: SavedCheckpoint): Promise<void> {
  const c = saved.checkpoint;
  const groups: [TensorGroup, Record<string, Float32Array>][] = [['params', c.params], ['m', c.optimizer.m], ['v', c.optimizer.v]];
  const tensors = groups.flatMap(([group, o]) => Object.entries(o).map(([name, v]) => ({ group, name, length: v.length, v })));
  const header: CheckpointHeader = { lr: saved.lr, epoch: saved.epoch, loss: Number.isFinite(saved.loss) ? saved.loss : null, step: c.optimizer.step, tensors: tensors.map(({ group, name, length }) => ({ group, name, length })) };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  await writeFileAtomic(file, Buffer.concat([length, json, ...tensors.map((t) => Buffer.from(t.v.buffer, t.v.byteOffset, t.v.byteLength))]));
}

/**
 * Fine-tunes the backbone once per learning rate of the grid (AdamW, cosine schedule with
 * warm-up, gradient clipping, a new linear head at its own lr), scores each on val, and
 * reports test scores of the best — the study's selection protocol. Each lr's trainable
 * weights and optimiser state are checkpointed after every epoch, so a killed run resumes at
 * the last finished epoch.
 */
export async function fineTuneClassifier(run: FineTuneRun): Promise<ProtocolOutcome & { extra: Record<string, unknown>; wallSeconds: Record<string, number> }> {
  const { task, config, card } = run;
  const classes = task.type === 'binary' ? 2 : task.labels.length;
  const B = config.batchSize;
  const trainRows = subset(run.splits.train.size, config.maxTrainImages, run.seed);
  const valRows = subset(run.splits.val.size, config.maxValImages, run.seed + 1);
  const testRows = Array.from({ length: run.splits.test.size }, (_, i) => i);
  const stepsPerEpoch = Math.floor(trainRows.length / B);
  if (stepsPerEpoch < 1) {
    throw new MedprobeError(`fine-tuning needs at least one full batch of ${B} training images, has ${trainRows.length}`, {
      hint: `set batchSize in the protocol's config to at most ${Math.max(1, trainRows.length)}${config.maxTrainImages !== null ? ', or raise maxTrainImages' : ''}`,
    });
  }
  const totalSteps = stepsPerEpoch * config.epochs;
  const head = headInput(card);
  const dim = await namingModel(run, () => featureWidth(run, head));
  const candidates: Candidate[] = [];
  const perLr: Record<string, unknown>[] = [];
  const wallSeconds: Record<string, number> = {};
  let best: { lr: number; tuner: FineTuner } | undefined;
  let bestScore = -Infinity;
  let counts = { trainable: 0, total: 0 };
  for (const lr of config.lr) {
    const t0 = performance.now();
    const tuner = await namingModel(run, () => FineTuner.create({
      model: run.modelBytes, input: card.input.name, ...head, dim, classes, loss: task.type === 'multi-label' ? 'sigmoid-bce' : 'softmax-ce',
      method: run.method, batch: B, size: run.inputSize, lr: { backbone: lr, head: config.headLr }, weightDecay: config.weightDecay, clipNorm: config.clipNorm,
      totalSteps, warmupSteps: Math.round(config.warmupFraction * totalSteps), seed: run.seed, sessionOptions: run.sessionOptions,
    }));
    counts = tuner.counts;
    const ckFile = run.checkpointDir ? path.join(run.checkpointDir, `lr-${lr}.ckpt`) : undefined;
    let startEpoch = 0;
    const saved = ckFile ? await readCheckpoint(ckFile) : null;
    let lastLoss = NaN;
    if (saved && saved.lr === lr) {
      tuner.restore(saved.checkpoint);
      startEpoch = saved.epoch;
      lastLoss = saved.loss;
      run.log?.(`lr ${lr}: resumed after epoch ${startEpoch}`);
    }
    for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
      const order = subset(trainRows.length, null, run.seed + 7919 * (epoch + 1));
      const rng = createRng(run.seed + epoch);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let s = 0; s < stepsPerEpoch; s++) {
        const rows = order.slice(s * B, (s + 1) * B).map((k) => trainRows[k]);
        const { pixels, target } = await loadBatch(run.splits.train, rows, B, run.prepare, task, classes);
        lastLoss = (await tuner.step(pixels, target)).loss;
        if ((s + 1) % 10 === 0 || s === stepsPerEpoch - 1) {
          const done = tuner.stepsDone;
          const secs = (performance.now() - t0) / 1000;
          run.log?.(`lr ${lr} epoch ${epoch + 1}/${config.epochs} step ${done}/${totalSteps} loss ${lastLoss.toFixed(4)} · ${((done * B) / secs).toFixed(1)} img/s`);
        }
      }
      if (ckFile) await writeCheckpoint(ckFile, { lr, epoch: epoch + 1, loss: lastLoss, checkpoint: tuner.checkpoint() });
    }
    const valScores = await predict(tuner, run.splits.val, valRows, run, classes);
    const score = selectionScore(run.selectionMetric, task, labelsOf(run.splits.val, valRows, task), valScores);
    candidates.push({ params: { lr }, score });
    perLr.push({ lr, valScore: score, finalTrainLoss: lastLoss });
    wallSeconds[`lr ${lr}`] = (performance.now() - t0) / 1000;
    if (score !== null && score > bestScore) {
      if (best) await best.tuner.dispose();
      best = { lr, tuner };
      bestScore = score;
    } else await tuner.dispose();
  }
  const chosenIdx = bestCandidate(candidates, 'fine-tuning', run.selectionMetric);
  const chosenLr = config.lr[chosenIdx];
  if (!best || best.lr !== chosenLr) throw new Error('fine-tuning: best tuner bookkeeping out of step');
  const testScores = await predict(best.tuner, run.splits.test, testRows, run, classes);
  await best.tuner.dispose();
  return {
    protocol: run.method.kind === 'full' ? 'finetune' : run.method.kind,
    config: { ...config, method: run.method, inputSize: run.inputSize, trainImages: trainRows.length, valImages: valRows.length, stepsPerEpoch },
    selection: { metric: run.selectionMetric, split: 'val' },
    chosen: { lr: chosenLr },
    candidates,
    testScores,
    scoreWidth: scoreWidth(task),
    extra: { parameters: counts, perLr },
    wallSeconds,
  };
}

/** The autodiff sees bytes, not the file: its errors about the graph get the model file named here. */
async function namingModel<T>(run: FineTuneRun, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (isMedprobeError(e) && !e.file && run.modelPath) throw new MedprobeError(`${run.modelPath}: ${e.message}`, { file: run.modelPath, hint: e.hint, cause: e });
    throw e;
  }
}

/** Width of the pooled feature the head reads: the last dim of the features output, from the card or the graph. */
async function featureWidth(run: FineTuneRun, head: { features: string; pooling: Pooling }): Promise<number> {
  const g = loadGraph(run.modelBytes);
  const inp = g.inputs.find((i) => i.name === run.card.input.name)!;
  const { infos } = await foldShapes({ ...g, outputs: [head.features] }, { inputDims: { [inp.name]: [1, typeof inp.dims[1] === 'number' ? inp.dims[1] : 3, run.inputSize, run.inputSize] }, variables: new Set() });
  const dims = infos.get(head.features)!.dims;
  return head.pooling.kind === 'flatten' ? dims.slice(1).reduce((a, b) => a * b, 1) : head.pooling.kind === 'gap' ? dims[1] : dims[dims.length - 1];
}
