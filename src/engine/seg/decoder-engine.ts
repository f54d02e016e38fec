import * as ort from 'onnxruntime-node';
import { computeFor } from '../../models/onnx/session.js';
import { createEngineSession } from '../graph.js';
import { createRng } from '../../util/random.js';
import { buildInferGraph, buildTrainGraph, type WeightGradMode } from './decoder-graph.js';
import { numel, paramInfos, type DecoderSpec, type SegLossSpec } from './decoder-spec.js';

/** One mini-batch of cached feature grids with its targets, all flat float32 NCHW. */
export interface SegBatch {
  n: number;
  /** One array per spec input, [n, D_l, h_l, w_l]. */
  feats: Float32Array[];
  /** One-hot [n, K, H, W]. */
  target: Float32Array;
  /** [n, 1, H, W]: 1 where the pixel counts for the loss. */
  valid: Float32Array;
}

export interface DecoderEngineOptions {
  spec: DecoderSpec;
  loss: SegLossSpec;
  seed: number;
  /** Adam learning rate (β1 0.9, β2 0.999, ε 1e-8, no weight decay unless given). */
  lr?: number;
  weightDecay?: number;
  weightGradMode?: WeightGradMode;
  /** ORT intra-op threads; default: the process's compute choice (`setDefaultCompute`). */
  threads?: number;
}

export interface DecoderState {
  spec: DecoderSpec;
  params: Record<string, number[]>;
  running: Record<string, { mean: number[]; var: number[] }>;
}

const BN_MOMENTUM = 0.1;

/**
 * A decoder being trained: parameters, Adam moments and BN running statistics live here in
 * JS; each step is one ONNX Runtime call of the training graph (forward + backward).
 */
export class DecoderEngine {
  readonly params = new Map<string, Float32Array>();
  readonly running = new Map<string, { mean: Float32Array; var: Float32Array }>();
  private readonly shapes = new Map<string, number[]>();
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private t = 0;

  private constructor(
    readonly spec: DecoderSpec,
    private readonly opts: DecoderEngineOptions,
    private readonly train: ort.InferenceSession,
    private readonly infer: ort.InferenceSession,
  ) {}

  static async create(opts: DecoderEngineOptions): Promise<DecoderEngine> {
    const compute = await computeFor({ threads: opts.threads });
    const trainG = buildTrainGraph(opts.spec, opts.loss, opts.weightGradMode ?? 'gemm');
    const inferG = buildInferGraph(opts.spec);
    const [train, infer] = await Promise.all([createEngineSession(trainG.bytes, compute, 'training'), createEngineSession(inferG.bytes, compute)]);
    const e = new DecoderEngine(opts.spec, opts, train, infer);
    e.initParams(opts.seed);
    return e;
  }

  /** Kaiming-normal convs, zero biases, BN γ=1 β=0; seeded so a run is reproducible. */
  private initParams(seed: number): void {
    const rng = createRng(seed);
    const { params, bns } = paramInfos(this.spec);
    for (const p of params) {
      const a = new Float32Array(numel(p.shape));
      if (p.init === 'ones') a.fill(1);
      else if (p.init === 'kaiming') {
        const std = Math.sqrt(2 / p.fanIn);
        for (let i = 0; i < a.length; i++) a[i] = rng.normal() * std;
      }
      this.params.set(p.name, a);
      this.shapes.set(p.name, p.shape);
      this.m.set(p.name, new Float32Array(a.length));
      this.v.set(p.name, new Float32Array(a.length));
    }
    for (const b of bns) this.running.set(b.name, { mean: new Float32Array(b.channels), var: new Float32Array(b.channels).fill(1) });
  }

  private paramFeeds(): Record<string, ort.Tensor> {
    const f: Record<string, ort.Tensor> = {};
    for (const [name, a] of this.params) f[`p_${name}`] = new ort.Tensor('float32', a, this.shapes.get(name)!);
    return f;
  }

  private featFeeds(feats: Float32Array[], n: number): Record<string, ort.Tensor> {
    const f: Record<string, ort.Tensor> = {};
    this.spec.inputs.forEach((s, l) => {
      const want = n * s.channels * s.height * s.width;
      if (feats[l].length !== want) throw new RangeError(`feature grid ${l} has ${feats[l].length} values, expected ${want} for [${n}, ${s.channels}, ${s.height}, ${s.width}]`);
      f[`feat${l}`] = new ort.Tensor('float32', feats[l], [n, s.channels, s.height, s.width]);
    });
    return f;
  }

  /** Loss and gradients at the current parameters, without updating anything. */
  async lossAndGrads(batch: SegBatch): Promise<{ loss: number; grads: Map<string, Float32Array>; bnStats: Map<string, { mean: Float32Array; var: Float32Array }> }> {
    const { outHeight: H, outWidth: W, classes: K } = this.spec;
    const feeds = {
      ...this.paramFeeds(),
      ...this.featFeeds(batch.feats, batch.n),
      target: new ort.Tensor('float32', batch.target, [batch.n, K, H, W]),
      valid: new ort.Tensor('float32', batch.valid, [batch.n, 1, H, W]),
    };
    const out = await this.train.run(feeds);
    const grads = new Map<string, Float32Array>();
    for (const name of this.params.keys()) grads.set(name, out[`g_${name}`].data as Float32Array);
    const bnStats = new Map<string, { mean: Float32Array; var: Float32Array }>();
    for (const name of this.running.keys()) bnStats.set(name, { mean: out[`bm_${name}`].data as Float32Array, var: out[`bv_${name}`].data as Float32Array });
    return { loss: (out.loss.data as Float32Array)[0], grads, bnStats };
  }

  /** One Adam step; returns the batch loss before the update. */
  async step(batch: SegBatch): Promise<number> {
    const { loss, grads, bnStats } = await this.lossAndGrads(batch);
    this.t++;
    const lr = this.opts.lr ?? 1e-3;
    const wd = this.opts.weightDecay ?? 0;
    const b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const c1 = 1 - b1 ** this.t, c2 = 1 - b2 ** this.t;
    for (const [name, p] of this.params) {
      const gr = grads.get(name)!;
      const m = this.m.get(name)!, v = this.v.get(name)!;
      for (let i = 0; i < p.length; i++) {
        const gi = gr[i] + wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
    }
    // PyTorch convention: running variance uses the unbiased batch variance.
    this.spec.inputs.forEach((_, i) => {
      const name = `bn${i}`;
      const s = bnStats.get(name);
      if (!s) return;
      const count = batch.n * (this.spec.inputs[0].height << i) * (this.spec.inputs[0].width << i);
      const unbias = count > 1 ? count / (count - 1) : 1;
      const r = this.running.get(name)!;
      for (let k = 0; k < r.mean.length; k++) {
        r.mean[k] = (1 - BN_MOMENTUM) * r.mean[k] + BN_MOMENTUM * s.mean[k];
        r.var[k] = (1 - BN_MOMENTUM) * r.var[k] + BN_MOMENTUM * s.var[k] * unbias;
      }
    });
    return loss;
  }

  /** Class probabilities [n, K, H, W] at the output size. */
  async predict(feats: Float32Array[], n: number): Promise<Float32Array> {
    const feeds: Record<string, ort.Tensor> = { ...this.paramFeeds(), ...this.featFeeds(feats, n) };
    for (const [name, r] of this.running) {
      feeds[`rm_${name}`] = new ort.Tensor('float32', r.mean, [r.mean.length]);
      feeds[`rv_${name}`] = new ort.Tensor('float32', r.var, [r.var.length]);
    }
    const out = await this.infer.run(feeds);
    return out.probs.data as Float32Array;
  }

  state(): DecoderState {
    return {
      spec: this.spec,
      params: Object.fromEntries([...this.params].map(([k, a]) => [k, Array.from(a)])),
      running: Object.fromEntries([...this.running].map(([k, r]) => [k, { mean: Array.from(r.mean), var: Array.from(r.var) }])),
    };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.train.release(), this.infer.release()]);
  }
}
