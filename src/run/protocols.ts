import type { TaskInfo } from '../data/types.js';
import { runKnnProtocol } from '../protocols/knn.js';
import { runLinearProbe } from '../protocols/linear/index.js';
import type { LabelledFeatures, ProtocolOutcome } from '../protocols/types.js';
import type { KnnConfig, LinearConfig, Suite } from './suite.js';

export type { LabelledFeatures };

export interface ProtocolRunInput<C> {
  task: TaskInfo;
  dataset: string;
  train: LabelledFeatures;
  val?: LabelledFeatures;
  test: LabelledFeatures;
  config: C;
  seed: number;
  selectionMetric: Suite['selectionMetric'];
}

export type ProtocolOutput = ProtocolOutcome & { extra?: Record<string, unknown> };

function requireVal(input: ProtocolRunInput<unknown>, protocol: string): LabelledFeatures {
  if (!input.val) throw new Error(`${protocol} selects hyperparameters on a validation split, and ${input.dataset} has none`);
  return input.val;
}

/** Suite protocol name → the library protocol it runs. */
export const PROTOCOLS = {
  knn: (input: ProtocolRunInput<KnnConfig>): Promise<ProtocolOutput> =>
    runKnnProtocol({
      dataset: input.dataset,
      task: input.task,
      train: input.train,
      val: requireVal(input, 'knn'),
      test: input.test,
      kGrid: input.config.k,
      temperature: input.config.temperature,
      selectMetric: input.selectionMetric,
    }),
  linear: (input: ProtocolRunInput<LinearConfig>): Promise<ProtocolOutput> =>
    runLinearProbe({
      dataset: input.dataset,
      task: input.task,
      train: input.train,
      val: requireVal(input, 'linear'),
      test: input.test,
      lrGrid: input.config.lr,
      weightDecayGrid: input.config.weightDecay,
      epochs: input.config.epochs,
      batchSize: input.config.batchSize,
      seed: input.seed,
      selectMetric: input.selectionMetric,
    }),
} as const;

export type ProtocolName = keyof typeof PROTOCOLS;
