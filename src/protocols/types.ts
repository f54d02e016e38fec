import type { TaskInfo } from '../data/types.js';
import type { Matrix } from '../util/matrix.js';

/** One split as protocols see it: features, labels [rows × labelWidth], optional sample ids for messages. */
export interface LabelledFeatures {
  features: Matrix;
  labels: Int32Array;
  ids?: readonly string[];
  /** Patient of each row, where known: few-shot draws patients, not images. */
  patientIds?: readonly (string | undefined)[];
}

/** Where a protocol's inputs come from, for error messages ("pneumoniamnist/train"). */
export interface ProtocolContext {
  dataset?: string;
}

/** One grid point and its validation score (null when the metric is undefined on val). */
export interface Candidate {
  params: Record<string, unknown>;
  score: number | null;
  /** The head's final training objective, where the protocol chooses its lr by it (linear probe). */
  trainLoss?: number;
}

/** What every classification protocol returns; maps onto results/schema.ts `selection` + `predictions`. */
export interface ProtocolOutcome {
  protocol: string;
  /** The full search space and fixed settings, as run (results `protocol.config`). */
  config: Record<string, unknown>;
  /** Metric and split used for selection. */
  selection: { metric: string; split: 'val' };
  chosen: Record<string, unknown>;
  candidates: Candidate[];
  /** [test rows × scoreWidth(task)] scores of the chosen configuration. */
  testScores: Float32Array;
  scoreWidth: number;
  /** Protocol-specific tables for results `extra` (standardisation statistics, curves, …). */
  extra?: Record<string, unknown>;
}

/**
 * Columns of a score matrix, as the metrics layer expects them: binary → 1 column P(class 1);
 * multi-class/ordinal → C probability columns; multi-label → L per-label probabilities.
 */
export function scoreWidth(task: TaskInfo): number {
  return task.type === 'binary' ? 1 : task.labels.length;
}
