import * as ort from 'onnxruntime-node';
import { MedprobeError } from '../../util/errors.js';
import { createRng } from '../../util/random.js';
import { loadGraph, numel } from '../autodiff/ir.js';
import { buildTrainingGraph } from '../autodiff/training-graph.js';
import { AdamW, type AdamWState } from './adamw.js';
import { HEAD_B, HEAD_W, LOGITS, LOSS, TARGET, appendHead, type HeadLoss, type Pooling } from './head.js';
import { adapt, type Method } from './methods.js';

export interface FineTuneSpec {
  /** The backbone's ONNX bytes (a torch.onnx export or a generated fixture). */
  model: Uint8Array;
  /** Image input name and the output the head reads. */
  input: string;
  features: string;
  pooling: Pooling;
  /** Feature width after pooling. */
  dim: number;
  classes: number;
  loss: HeadLoss;
  method: Method;
  /** Fixed batch size and square input side: the graphs are folded for them. */
  batch: number;
  size: number;
  /** AdamW learning rates: backbone tensors / adapters, and the new head (the study's B.1/B.3 split). */
  lr: { backbone: number; head: number };
  weightDecay?: number;
  clipNorm?: number;
  totalSteps: number;
  warmupSteps?: number;
  seed: number;
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

export interface FineTuneCheckpoint {
  params: Record<string, Float32Array>;
  optimizer: AdamWState;
}

/**
 * A backbone being fine-tuned. Holds two ORT sessions — the training graph (forward, loss,
 * backward; LoRA dropout active) and the evaluation graph (logits only) — both derived from the
 * model by the autodiff; the trainable tensors and AdamW state live here and are fed each run.
 */
export class FineTuner {
  private constructor(
    private readonly spec: FineTuneSpec,
    private readonly train: ort.InferenceSession,
    private readonly evaluate: ort.InferenceSession,
    readonly params: Map<string, Float32Array>,
    private readonly dims: Map<string, number[]>,
    private readonly gradOutputs: Map<string, string>,
    private readonly optimizer: AdamW,
    /** Trainable and total parameter counts (head and adapters included). */
    readonly counts: { trainable: number; total: number },
    readonly loraModules: string[],
  ) {}

  static async create(spec: FineTuneSpec): Promise<FineTuner> {
    const base = loadGraph(spec.model);
    const inp = base.inputs.find((i) => i.name === spec.input);
    if (!inp) throw new MedprobeError(`the model has no input '${spec.input}'`, { hint: `its inputs are ${base.inputs.map((i) => i.name).join(', ')}` });
    const channels = typeof inp.dims[1] === 'number' ? inp.dims[1] : 3;
    const rng = createRng(spec.seed);
    // nn.Linear's default initialisation: U(−1/√D, 1/√D) for weight and bias.
    const bound = 1 / Math.sqrt(spec.dim);
    const head = {
      features: spec.features, pooling: spec.pooling, dim: spec.dim, classes: spec.classes, loss: spec.loss, batch: spec.batch,
      weight: Float32Array.from({ length: spec.dim * spec.classes }, () => (2 * rng.next() - 1) * bound),
      bias: Float32Array.from({ length: spec.classes }, () => (2 * rng.next() - 1) * bound),
    };
    const trainAd = adapt(base, spec.method, { seed: spec.seed, training: true });
    const evalAd = adapt(loadGraph(spec.model), spec.method, { seed: spec.seed, training: false });
    const trainable = [...trainAd.trainable, HEAD_W, HEAD_B];
    const inputDims = { [spec.input]: [spec.batch, channels, spec.size, spec.size], [TARGET]: [spec.batch, spec.classes] };
    const [tg, eg] = await Promise.all([
      buildTrainingGraph({ graph: appendHead(trainAd.graph, head), loss: LOSS, trainable, inputDims, outputs: [], sessionOptions: spec.sessionOptions }),
      buildTrainingGraph({ graph: appendHead(evalAd.graph, head), trainable, inputDims, outputs: [LOGITS], sessionOptions: spec.sessionOptions }),
    ]);
    const opts = { graphOptimizationLevel: 'all' as const, ...spec.sessionOptions };
    // No memory pattern for the training graph: with one, ORT's second run allocates the
    // planned block beside the arena chunks of the first, so step 2 was as slow as step 1
    // (fresh pages) and the peak RSS about 1.4× higher (profiled: docs/results/finetuning.md).
    const trainOpts = { ...opts, enableMemPattern: false };
    const [train, evaluate] = await Promise.all([ort.InferenceSession.create(tg.bytes, trainOpts), ort.InferenceSession.create(eg.bytes, opts)]);
    const params = new Map(tg.params.map((p) => [p.name, Float32Array.from(p.init)]));
    const dims = new Map(tg.params.map((p) => [p.name, p.dims]));
    const frozen = [...trainAd.graph.inits.entries()].filter(([n, t]) => t.dataType === 1 && !params.has(n) && numel((t.dims ?? []).map(Number)) >= 2 && !n.startsWith('lora'));
    const trainableCount = tg.params.reduce((s, p) => s + numel(p.dims), 0);
    const total = trainableCount + frozen.reduce((s, [, t]) => s + numel((t.dims ?? []).map(Number)), 0);
    const optimizer = new AdamW(
      [
        { lr: spec.lr.backbone, names: trainAd.trainable },
        { lr: spec.lr.head, names: [HEAD_W, HEAD_B] },
      ],
      { weightDecay: spec.weightDecay, clipNorm: spec.clipNorm, totalSteps: spec.totalSteps, warmupSteps: spec.warmupSteps },
    );
    return new FineTuner(spec, train, evaluate, params, dims, new Map(tg.params.map((p) => [p.name, tg.gradOutput(p.name)])), optimizer, { trainable: trainableCount, total }, trainAd.modules);
  }

  private feeds(pixels: Float32Array): Record<string, ort.Tensor> {
    const { batch, size } = this.spec;
    const channels = pixels.length / (batch * size * size);
    if (!Number.isInteger(channels)) throw new RangeError(`pixels: ${pixels.length} values do not make ${batch} images of ${size}×${size}`);
    const f: Record<string, ort.Tensor> = { [this.spec.input]: new ort.Tensor('float32', pixels, [batch, channels, size, size]) };
    for (const [name, p] of this.params) f[name] = new ort.Tensor('float32', p, this.dims.get(name)!);
    return f;
  }

  /** Loss and gradients at the current weights, nothing updated. */
  async lossAndGrads(pixels: Float32Array, target: Float32Array): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    const feeds = this.feeds(pixels);
    feeds[TARGET] = new ort.Tensor('float32', target, [this.spec.batch, this.spec.classes]);
    const out = await this.train.run(feeds);
    const grads = new Map([...this.gradOutputs].map(([p, o]) => [p, out[o].data as Float32Array]));
    return { loss: (out[LOSS].data as Float32Array)[0], grads };
  }

  /** One AdamW step on a full batch; returns the loss before the update and the gradient norm. */
  async step(pixels: Float32Array, target: Float32Array): Promise<{ loss: number; gradNorm: number }> {
    const { loss, grads } = await this.lossAndGrads(pixels, target);
    if (!Number.isFinite(loss)) throw new MedprobeError(`fine-tuning diverged: loss ${loss} at step ${this.optimizer.step + 1}`, { hint: 'lower the learning rate' });
    return { loss, gradNorm: this.optimizer.update(this.params, grads) };
  }

  get stepsDone(): number {
    return this.optimizer.step;
  }

  /** Logits [batch, classes] for one full batch (pad a short last batch). */
  async logits(pixels: Float32Array): Promise<Float32Array> {
    const out = await this.evaluate.run(this.feeds(pixels));
    return out[LOGITS].data as Float32Array;
  }

  checkpoint(): FineTuneCheckpoint {
    return { params: Object.fromEntries(this.params), optimizer: this.optimizer.snapshot() };
  }

  restore(c: FineTuneCheckpoint): void {
    for (const [name, v] of Object.entries(c.params)) {
      const p = this.params.get(name);
      if (!p || p.length !== v.length) throw new MedprobeError(`checkpoint tensor '${name}' does not fit this fine-tuning setup`, { hint: 'delete the checkpoint or rerun with the settings it was written with' });
      p.set(v);
    }
    this.optimizer.restore(c.optimizer);
  }

  async dispose(): Promise<void> {
    await Promise.all([this.train.release(), this.evaluate.release()]);
  }
}

