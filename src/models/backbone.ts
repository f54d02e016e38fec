import type { Matrix } from '../util/matrix.js';
import type { ModelCard } from './card.js';

/**
 * A frozen feature extractor. Input batches are always NCHW float32, already preprocessed
 * per the card; the backbone transposes for NHWC graphs itself.
 */
export interface Backbone {
  readonly card: ModelCard;
  /** sha256 of the model file(s): part of every feature-cache key. */
  readonly fingerprint: string;
  /** Input side length this instance was opened for (the card's native size unless overridden). */
  readonly inputSize: number;
  /** Feature names this backbone can produce (keys of card.outputs, plus derived views). */
  readonly features: readonly string[];
  /** Runtime name and version, for provenance. */
  readonly runtime: { name: string; version: string };
  /** One forward pass over `n` images; returns each requested feature as an [n × dim] matrix. */
  run(batch: Float32Array, n: number, features: readonly string[]): Promise<Record<string, Matrix>>;
  dispose(): Promise<void>;
}
