import { z } from 'zod';
import { metricValueProblem } from '../metrics/names.js';

/**
 * One result file per (model, dataset, protocol): metrics, what was chosen and why,
 * per-sample test scores so anyone can recompute a metric, and provenance.
 * Stored at `<results>/<model>/<dataset>/<protocol>.json` (MTEB-style: per model and task).
 */
export const RESULT_SCHEMA_VERSION = 'medprobe.result/v1';

const MetricValue = z.number().nullable();

export const ConfidenceIntervalSchema = z.object({
  low: z.number(),
  high: z.number(),
  level: z.number(),
  resamples: z.number().int(),
  /** Replicates on which the metric was undefined (e.g. one class only). */
  skipped: z.number().int().optional(),
});

/** Where the numbers were computed: ORT provider, what was asked for, adapter where known, threads. */
export const ComputeSchema = z.object({
  device: z.enum(['cpu', 'webgpu', 'cuda']),
  requested: z.enum(['cpu', 'webgpu', 'cuda', 'auto']),
  intraOpThreads: z.number().int().positive(),
  interOpThreads: z.number().int().positive(),
  adapter: z.string().optional(),
  /** Only for fp16 / int8 backbones (absent: fp32). */
  precision: z.enum(['fp16', 'int8']).optional(),
});

/** The extraction batch of the features a result reads (features do not depend on it; recorded for memory questions). */
export const BatchSchema = z.object({
  size: z.number().int().positive(),
  /** given (suite/flag), memory (chosen from the model's activation estimate and the budget), default (no estimate). */
  source: z.enum(['given', 'memory', 'default']),
  expectedPeakBytes: z.number().nonnegative().optional(),
  overBudget: z.boolean(),
});

export const ResultSchema = z.object({
  schema: z.literal(RESULT_SCHEMA_VERSION),
  model: z.object({
    name: z.string(),
    fingerprint: z.string(),
    inputSize: z.number().int(),
    feature: z.string(),
    runtime: z.object({ name: z.string(), version: z.string() }),
  }),
  dataset: z.object({
    name: z.string(),
    fingerprint: z.string(),
    task: z.object({ type: z.enum(['binary', 'multi-class', 'multi-label', 'ordinal']), labels: z.array(z.string()) }),
    dims: z.union([z.literal(2), z.literal(3)]),
    modality: z.string().optional(),
    preprocessing: z.record(z.string(), z.unknown()),
    splitSizes: z.record(z.string(), z.number().int()),
  }),
  protocol: z.object({
    name: z.string(),
    /** The full search space as configured. */
    config: z.record(z.string(), z.unknown()),
  }),
  selection: z.object({
    metric: z.string(),
    split: z.string(),
    /** Hyperparameters of the chosen configuration. */
    chosen: z.record(z.string(), z.unknown()),
    /** Every candidate's validation score, so the grid can be plotted. */
    candidates: z.array(z.object({ params: z.record(z.string(), z.unknown()), score: MetricValue, trainLoss: z.number().optional() })),
  }),
  /** Test metrics of the chosen configuration (refit on train+val where the protocol says so). */
  metrics: z.record(z.string(), MetricValue),
  /** Bootstrap CIs keyed like `metrics`, when computed. */
  ci: z.record(z.string(), ConfidenceIntervalSchema).optional(),
  /** Extra protocol-specific tables (per-class AUROC, few-shot curves, …). */
  extra: z.record(z.string(), z.unknown()).optional(),
  predictions: z.object({
    split: z.string(),
    ids: z.array(z.string()),
    /** labelWidth integers per sample. */
    labels: z.array(z.array(z.number().int())),
    /** Per-sample scores: class probabilities (multi-class), positive-class score (binary), per-label scores (multi-label). */
    scores: z.array(z.array(z.number())),
    /** Absent: classification. Segmentation results leave labels/scores empty per case and list `cases`. */
    kind: z.enum(['classification', 'segmentation']).optional(),
    /** Segmentation: per case (same order as `ids`) the per-class Dice/IoU (null = class not scored) and the written files, relative to the result file. */
    cases: z
      .array(
        z.object({
          dice: z.array(MetricValue),
          iou: z.array(MetricValue).optional(),
          /** Per class (Dice + Jaccard) / 2, the reference study's score. */
          diceJaccard: z.array(MetricValue).optional(),
          /** Foreground classes absent from this case's ground truth (never scored as Dice 1). */
          emptyTruth: z.array(z.string()).optional(),
          mask: z.string().optional(),
          overlay: z.string().optional(),
        }),
      )
      .optional(),
  }),
  provenance: z.object({
    /** Hash of everything that determines this result's numbers; a rerun with the same key is skipped. */
    unitKey: z.string().optional(),
    medprobe: z.string(),
    node: z.string(),
    runtime: z.record(z.string(), z.string()),
    /** Absent in results written before devices were recorded (all CPU). */
    compute: ComputeSchema.optional(),
    /** Absent in results written before batches were recorded, and for protocols that read images. */
    batch: BatchSchema.optional(),
    seed: z.number().int(),
    files: z.record(z.string(), z.string()),
    featureCacheKeys: z.record(z.string(), z.string()),
    startedAt: z.string(),
    wallSeconds: z.record(z.string(), z.number()),
    /** Only when asked (MEDPROBE_RECORD_HOST=1). */
    host: z.string().optional(),
  }),
}).superRefine((r, ctx) => {
  // A number outside its metric's range is a bug or a hand edit, never a result: refused on write and on read.
  for (const [key, value] of Object.entries(r.metrics)) {
    const problem = metricValueProblem(key, value);
    if (problem) ctx.addIssue({ code: 'custom', path: ['metrics', key], message: problem });
  }
  for (const [key, ci] of Object.entries(r.ci ?? {})) {
    const problem = metricValueProblem(key, ci.low) ?? metricValueProblem(key, ci.high) ?? (ci.low > ci.high ? `interval low ${ci.low} > high ${ci.high}` : null);
    if (problem) ctx.addIssue({ code: 'custom', path: ['ci', key], message: problem });
  }
});

export type Result = z.infer<typeof ResultSchema>;

/** Fields that legitimately differ between two runs of the same config. */
export const VOLATILE_PROVENANCE_FIELDS = ['startedAt', 'wallSeconds', 'host'] as const;
