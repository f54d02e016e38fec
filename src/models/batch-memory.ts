import { MedprobeError } from '../util/errors.js';
import type { MemoryBudget } from '../util/memory-budget.js';

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

/** Extraction batch when the model gives no activation estimate (not a ViT card) and none is given: the old suite default. */
export const DEFAULT_BATCH = 32;

/** What one forward pass holds in memory, as a backbone estimates it (Backbone.memoryProfile). */
export interface MemoryProfile {
  /** Weights the session holds (the model file and its external data). */
  weightBytes: number;
  /** Peak activation bytes each image of a batch adds. */
  perImageBytes: number;
  /** How the estimate was made, as the plan prints it (e.g. "ViT 1025 tokens × 1024"). */
  basis: string;
}

export interface BatchChoice {
  batchSize: number;
  /** `given`: the user's batch (checked against the budget); `memory`: chosen here; `default`: no estimate for this model. */
  source: 'given' | 'memory' | 'default';
  /** Weights + batch × activations; absent where the model gives no estimate. */
  expectedPeakBytes?: number;
  budgetBytes: number;
  /** A given batch whose expected peak exceeds the budget: say so, do not change it. */
  overBudget: boolean;
}

/**
 * The largest batch ≤ `max` whose expected peak (fixed + batch × perImage) fits the budget, at
 * least 1; a given batch is kept (flagged when over budget). Pure: callers pass the budget.
 */
export function chooseBatchSize(o: { given?: number; perImageBytes: number; fixedBytes: number; budgetBytes: number; max?: number }): BatchChoice {
  const max = o.max ?? DEFAULT_BATCH;
  const peak = (n: number): number => o.fixedBytes + n * o.perImageBytes;
  if (o.given !== undefined) {
    checkGiven(o.given);
    return { batchSize: o.given, source: 'given', expectedPeakBytes: peak(o.given), budgetBytes: o.budgetBytes, overBudget: peak(o.given) > o.budgetBytes };
  }
  const fits = Math.floor((o.budgetBytes - o.fixedBytes) / o.perImageBytes);
  const batchSize = Math.max(1, Math.min(max, fits));
  return { batchSize, source: 'memory', expectedPeakBytes: peak(batchSize), budgetBytes: o.budgetBytes, overBudget: peak(batchSize) > o.budgetBytes };
}

/** A run's extraction batch for one backbone: from its memory profile and the budget, or given, or the default where it has no profile. */
export function chooseBatch(profile: MemoryProfile | undefined, o: { given?: number; budget: MemoryBudget; fallback?: number }): BatchChoice {
  if (profile) return chooseBatchSize({ given: o.given, perImageBytes: profile.perImageBytes, fixedBytes: profile.weightBytes, budgetBytes: o.budget.bytes });
  if (o.given !== undefined) checkGiven(o.given);
  return { batchSize: o.given ?? o.fallback ?? DEFAULT_BATCH, source: o.given !== undefined ? 'given' : 'default', budgetBytes: o.budget.bytes, overBudget: false };
}

function checkGiven(given: number): void {
  if (!Number.isInteger(given) || given < 1) throw new MedprobeError(`batch size ${given} is not a positive integer`, { hint: 'e.g. batchSize: 16' });
}

const GiB = 2 ** 30;
const gb = (b: number): string => (b < GiB ? `${(b / 2 ** 20).toFixed(1)} MB` : `${(b / GiB).toFixed(b < 10 * GiB ? 2 : 1)} GB`);

/** One line for the plan: the batch, where it came from, the expected peak against the budget. */
export function describeBatch(c: BatchChoice, budgetSource: string, basis?: string): string {
  const budget = `${gb(c.budgetBytes)} budget (${budgetSource})`;
  if (c.expectedPeakBytes === undefined) {
    return `batch ${c.batchSize} (${c.source === 'given' ? 'given' : 'default'}; no memory estimate for this model: not a ViT card)`;
  }
  const peak = `expected peak ${gb(c.expectedPeakBytes)}${basis ? ` [${basis}]` : ''}`;
  if (c.overBudget && c.source === 'given') return `batch ${c.batchSize} (given) · ${peak} OVER the ${budget}: lower batchSize, or raise MEDPROBE_MEMORY_BUDGET_MB if the machine has the memory`;
  if (c.overBudget) return `batch ${c.batchSize} (memory) · ${peak} OVER the ${budget}, even at batch 1: the model may not fit this machine`;
  return `batch ${c.batchSize} (${c.source === 'given' ? 'given' : 'from memory'}) · ${peak} of the ${budget}`;
}
