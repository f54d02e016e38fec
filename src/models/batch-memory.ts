import { readFileSync } from 'node:fs';
import os from 'node:os';
import { MedprobeError } from '../util/errors.js';

/**
 * Memory-aware batch sizes: a ViT's peak activation memory grows with batch × tokens², so the
 * suite default (32) that suits 224 px overflows at 448 px for ViT-L (≈ 12 GB). The batch is
 * chosen from an activation estimate and a memory budget, or given.
 */

/** The shape of a ViT forward pass at one input size. */
export interface VitShape {
  /** Tokens per image: (size / patch)² patches + CLS + registers. */
  tokens: number;
  /** Embedding width D. */
  dim: number;
  /** Attention heads; default D / 64 (ViT-S/B/L/g). */
  heads?: number;
  /** Block outputs kept as extra graph outputs (last-4 features), each T × D. */
  exposedBlocks?: number;
  /** Bytes per activation value (4 for fp32, 2 for fp16). */
  bytesPerValue?: number;
}

/**
 * Peak activation bytes one image adds to an ORT forward pass. ORT frees a block's tensors once the
 * next block has read them, so the peak is one block's working set: the attention scores
 * (heads × T², alive about 4 times over: QKᵀ, its scaled copy, softmax, and the arena's reuse
 * slack) plus ~17 T × D tensors (qkv, the 4×-wide MLP's input and output, the residual stream,
 * LayerNorm outputs), plus the exposed block outputs.
 * Calibrated on issue 17's measurement: ViT-S/14 at 448 px peaked at 1.45 GB at batch 8 and
 * 4.6 GB at batch 32, i.e. ≈ 131 MB per image; this gives 128 MB. For ViT-L/14 at 448 px it gives
 * ≈ 340 MB per image, ≈ 12 GB at batch 32, as issue 17 estimated.
 */
export function vitActivationBytesPerImage(s: VitShape): number {
  const heads = s.heads ?? Math.max(1, Math.round(s.dim / 64));
  const b = s.bytesPerValue ?? 4;
  const attention = 4 * heads * s.tokens * s.tokens;
  const perToken = (17 + (s.exposedBlocks ?? 0)) * s.dim;
  return (attention + perToken * s.tokens) * b;
}

export interface BatchChoice {
  batchSize: number;
  /** `given`: the user's batch (checked against the budget); `memory`: chosen here. */
  source: 'given' | 'memory';
  expectedPeakBytes: number;
  budgetBytes: number;
  /** A given batch whose expected peak exceeds the budget: say so, do not change it. */
  overBudget: boolean;
}

/**
 * The largest batch ≤ `max` whose expected peak (fixed + batch × perImage) fits the budget, at
 * least 1; a given batch is kept (flagged when over budget). Pure: callers pass the budget.
 */
export function chooseBatchSize(o: { given?: number; perImageBytes: number; fixedBytes: number; budgetBytes: number; max?: number }): BatchChoice {
  const max = o.max ?? 32;
  const peak = (n: number): number => o.fixedBytes + n * o.perImageBytes;
  if (o.given !== undefined) {
    if (!Number.isInteger(o.given) || o.given < 1) throw new MedprobeError(`batch size ${o.given} is not a positive integer`, { hint: 'e.g. batchSize: 16' });
    return { batchSize: o.given, source: 'given', expectedPeakBytes: peak(o.given), budgetBytes: o.budgetBytes, overBudget: peak(o.given) > o.budgetBytes };
  }
  const fits = Math.floor((o.budgetBytes - o.fixedBytes) / o.perImageBytes);
  const batchSize = Math.max(1, Math.min(max, fits));
  return { batchSize, source: 'memory', expectedPeakBytes: peak(batchSize), budgetBytes: o.budgetBytes, overBudget: peak(batchSize) > o.budgetBytes };
}

/**
 * The memory budget for one backbone: `$MEDPROBE_MEMORY_BUDGET_MB`, else half of what the
 * machine has available now (MemAvailable; os.freemem elsewhere), leaving room for the data,
 * the cache writes and other processes.
 */
export function memoryBudgetBytes(): number {
  const env = Number(process.env.MEDPROBE_MEMORY_BUDGET_MB ?? 0);
  if (env > 0) return env * 2 ** 20;
  let available = os.freemem();
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) available = Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return Math.floor(available / 2);
}
