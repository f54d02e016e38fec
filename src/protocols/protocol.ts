import type { z } from 'zod';
import type * as ort from 'onnxruntime-node';
import type { SplitName, SplitSource, TaskInfo } from '../data/types.js';
import type { PrepareImages } from '../features/prepare.js';
import type { MetricName, TaskKind } from '../metrics/names.js';
import type { ModelCard } from '../models/card.js';
import { MedprobeError } from '../util/errors.js';
import type { Matrix } from '../util/matrix.js';
import type { LabelledFeatures, ProtocolOutcome } from './types.js';
import type { SegProtocolOutput, SegRunInput } from './segmentation/protocol.js';

/**
 * A protocol as the suite, the planner and the result writer see it: its options (a strict zod
 * object whose every field has a default, so `options.parse({})` IS the defaults), its main score,
 * when it applies and how it runs. MTEB-style task metadata: one module per protocol, registered
 * in registry.ts. The library functions a runner calls take their defaults from the same schema.
 */
interface ProtocolCommon<S extends z.ZodType> {
  /** Suite key and result `protocol.name`. */
  name: string;
  /** One line for `--help`, docs and the leaderboard. */
  description: string;
  options: S;
  /** The metric a leaderboard ranks this protocol's results by (a key of metrics/names.ts). */
  mainScore: MetricName;
  /** Null when the protocol applies to the task; else the reason it is skipped. */
  notApplicable(task: TaskInfo): string | null;
  /** Pooled feature vectors the protocol trains on: set name → backbone feature name (none for segmentation). */
  featureSets(config: z.output<S>, card: ModelCard, defaultFeature: string): Record<string, string>;
}

/** Runs on cached feature vectors of classification datasets. */
export interface ClassificationProtocol<S extends z.ZodType = z.ZodType> extends ProtocolCommon<S> {
  kind: 'classification';
  run(input: ProtocolRunInput<z.output<S>>): Promise<ProtocolOutput>;
  /** 'images': the protocol trains the backbone itself (fine-tuning) and gets `images` besides the cached features. */
  inputs?: 'features' | 'images';
}

/** Runs on cached multi-block feature grids of segmentation datasets (segmentation/protocol.ts). */
export interface SegmentationProtocol<S extends z.ZodType = z.ZodType> extends ProtocolCommon<S> {
  kind: 'segmentation';
  /** Feature maps (deepest first) the decoder reads, or 'auto' for the card's default. */
  maps(config: z.output<S>): readonly string[] | 'auto';
  run(input: SegRunInput<z.output<S>>): Promise<SegProtocolOutput>;
}

export type ProtocolModule<S extends z.ZodType = z.ZodType> = ClassificationProtocol<S> | SegmentationProtocol<S>;

/** A registered protocol with its defaults resolved once. */
export type RegisteredProtocol<S extends z.ZodType = z.ZodType> = ProtocolModule<S> & { readonly defaults: z.output<S> };

/** Declares a classification protocol module; `defaults` is the options schema applied to `{}`. */
export function defineProtocol<S extends z.ZodType>(m: ClassificationProtocol<S>): ClassificationProtocol<S> & { readonly defaults: z.output<S> } {
  return Object.freeze({ ...m, defaults: m.options.parse({}) as z.output<S> });
}

/** Declares a segmentation protocol module (see defineProtocol). */
export function defineSegProtocol<S extends z.ZodType>(m: SegmentationProtocol<S>): SegmentationProtocol<S> & { readonly defaults: z.output<S> } {
  return Object.freeze({ ...m, defaults: m.options.parse({}) as z.output<S> });
}

export interface ProtocolRunInput<C> {
  task: TaskInfo;
  dataset: string;
  /** Each split with the model's default feature. */
  train: LabelledFeatures;
  val?: LabelledFeatures;
  test: LabelledFeatures;
  /** Per split, every feature set the protocol asked for (set name → matrix), when it asked for several. */
  featureSets?: Partial<Record<SplitName, Record<string, Matrix>>>;
  config: C;
  seed: number;
  /** Metric that chooses hyperparameters on the validation split (the suite's). */
  selectionMetric: string;
  /** For `inputs: 'images'` protocols: the model and the splits' images with their preprocessing. */
  images?: ImageInput;
}

/** What a protocol that trains the backbone reads instead of (or besides) cached features. */
export interface ImageInput {
  modelBytes: Uint8Array;
  /** The file `modelBytes` came from, named in errors about the graph. */
  modelPath: string;
  card: ModelCard;
  inputSize: number;
  splits: Partial<Record<SplitName, SplitSource>>;
  prepare: PrepareImages;
  /** A directory private to this unit for checkpoints (a killed run resumes from them). */
  workDir: string;
  sessionOptions: ort.InferenceSession.SessionOptions;
  log(line: string): void;
}

/**
 * A protocol's outcome. `summary` is for protocols whose test metrics are aggregates over
 * repeated runs (few-shot: mean over tries per n); they carry no per-sample scores.
 */
export type ProtocolOutput = ProtocolOutcome & {
  extra?: Record<string, unknown>;
  summary?: Record<string, number | null>;
  /** Wall times of the protocol's parts (fine-tuning: per lr), recorded with the run's other wall times in provenance. */
  wallSeconds?: Record<string, number>;
};

export function requireVal(input: ProtocolRunInput<unknown>, protocol: string): LabelledFeatures {
  if (!input.val) {
    throw new MedprobeError(`${protocol} selects hyperparameters on a validation split, and ${input.dataset} has none`, {
      hint: 'give the dataset a val split (official, systematic or random split in the suite)',
    });
  }
  return input.val;
}

/** Feature sets of a protocol that reads only the model's default feature. */
export const defaultFeatureOnly = (_c: unknown, _card: ModelCard, feature: string): Record<string, string> => ({ [feature]: feature });
