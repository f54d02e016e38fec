/**
 * AdamW (decoupled weight decay, PyTorch's torch.optim.AdamW update) over flat float32
 * tensors, with one learning rate per parameter group, a cosine schedule with linear warm-up
 * and global-norm gradient clipping (torch.nn.utils.clip_grad_norm_). The update is a few
 * flops per weight, in JS next to the ORT step that dominates.
 */
export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip the global gradient norm to this (0: no clipping). */
  clipNorm?: number;
  totalSteps: number;
  warmupSteps?: number;
}

export interface ParamGroup {
  lr: number;
  names: string[];
}

export interface AdamWState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/** lr multiplier at step t (0-based): linear warm-up, then ½(1 + cos(π·progress)). */
export function cosineFactor(t: number, total: number, warmup = 0): number {
  if (t < warmup) return (t + 1) / warmup;
  const progress = Math.min(1, (t - warmup) / Math.max(1, total - warmup));
  return 0.5 * (1 + Math.cos(Math.PI * progress));
}

export class AdamW {
  private state: AdamWState = { step: 0, m: {}, v: {} };

  constructor(
    private readonly groups: ParamGroup[],
    private readonly opts: AdamWOptions,
  ) {}

  get step(): number {
    return this.state.step;
  }

  /** Updates `params` in place from `grads`; returns the gradient norm before clipping. */
  update(params: Map<string, Float32Array>, grads: Map<string, Float32Array>): number {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01, clipNorm = 1 } = this.opts;
    let sq = 0;
    // An indexed loop, not for-of: the typed-array iterator made this pass 4-5x slower (32 vs 7 ms at 7 M weights).
    for (const g of this.groups) {
      for (const n of g.names) {
        const grad = grads.get(n)!;
        for (let i = 0; i < grad.length; i++) sq += grad[i] * grad[i];
      }
    }
    const norm = Math.sqrt(sq);
    const clip = clipNorm > 0 && norm > clipNorm ? clipNorm / (norm + 1e-6) : 1;
    const t = ++this.state.step;
    const factor = cosineFactor(t - 1, this.opts.totalSteps, this.opts.warmupSteps);
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    for (const group of this.groups) {
      const lr = group.lr * factor;
      const decay = 1 - lr * weightDecay;
      for (const name of group.names) {
        const p = params.get(name)!;
        const g = grads.get(name)!;
        const m = (this.state.m[name] ??= new Float32Array(p.length));
        const v = (this.state.v[name] ??= new Float32Array(p.length));
        for (let i = 0; i < p.length; i++) {
          const gi = g[i] * clip;
          m[i] = beta1 * m[i] + (1 - beta1) * gi;
          v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
          p[i] = p[i] * decay - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
        }
      }
    }
    return norm;
  }

  snapshot(): AdamWState {
    return this.state;
  }

  restore(s: AdamWState): void {
    this.state = s;
  }
}
