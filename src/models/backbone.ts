import type { Matrix } from '../util/matrix.js';
import type { ModelCard } from './card.js';
import type { Compute } from './onnx/device.js';
import type { MemoryProfile } from './batch-memory.js';

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
  /** The model file this backbone runs (provenance). */
  readonly modelPath?: string;
  /** Runtime name and version, for provenance. */
  readonly runtime: { name: string; version: string };
  /** Device and threads the forward pass runs on (ONNX backbones), for provenance and cache keys. */
  readonly compute?: Compute;
  /** One forward pass over `n` images; returns each requested feature as an [n × dim] matrix. */
  run(batch: Float32Array, n: number, features: readonly string[]): Promise<Record<string, Matrix>>;
  /**
   * What a forward pass for these features (or `block:` maps) holds in memory, for the run's batch
   * choice (batch-memory.ts); absent where the backbone cannot estimate it (CNNs, TF.js).
   */
  memoryProfile?(features: readonly string[]): MemoryProfile | undefined;
  dispose(): Promise<void>;
}

/** A dense NCHW float32 tensor: [n, channels, height, width]. */
export interface Tensor4 {
  readonly data: Float32Array;
  readonly dims: readonly [number, number, number, number];
}

/**
 * A backbone that can also return spatial maps, for segmentation decoders.
 * `maps` names graph outputs (`feature_map`, `last_hidden_state`) or transformer blocks
 * (`block:-1`, `block:-4`; one block each). Token outputs come back as the patch grid
 * [n, D, H/p, W/p] (CLS and registers dropped; block outputs get the final LayerNorm);
 * CNN maps come back as they are (NHWC graphs are transposed to NCHW).
 */
export interface GridBackbone extends Backbone {
  runGrid(batch: Float32Array, n: number, maps: readonly string[]): Promise<Record<string, Tensor4>>;
}

/**
 * What of a backbone's compute goes into cache keys: features (and throughput) from a GPU provider
 * are kept apart from CPU ones, fp16 backbones from fp32 ones. CPU at fp32 names nothing, so its keys
 * are the ones written before devices existed.
 */
export function computeKeyParts(b: Backbone): { device?: string; precision?: string } {
  const d = b.compute?.device;
  return { ...(d && d !== 'cpu' ? { device: d } : {}), ...(b.compute?.precision ? { precision: b.compute.precision } : {}) };
}

export function isGridBackbone(b: Backbone): b is GridBackbone {
  return typeof (b as Partial<GridBackbone>).runGrid === 'function';
}
