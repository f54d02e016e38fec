import type { SplitName, TaskInfo } from '../data/types.js';
import type { ModelCard } from '../models/card.js';
import { runKnnProtocol } from '../protocols/knn.js';
import { runLinearProbe } from '../protocols/linear/index.js';
import { runMlKnnProtocol } from '../protocols/mlknn.js';
import { runFewShot } from '../protocols/fewshot.js';
import { evaluateClassification } from '../metrics/evaluate-classification.js';
import { meanSd } from '../metrics/summary.js';
import type { LabelledFeatures, ProtocolOutcome } from '../protocols/types.js';
import { MedprobeError } from '../util/errors.js';
import type { Matrix } from '../util/matrix.js';
import type { FewShotConfig, KnnConfig, LinearConfig, MlKnnConfig, Suite } from './suite.js';

export type { LabelledFeatures };

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
  selectionMetric: Suite['selectionMetric'];
}

/**
 * A protocol's outcome. `summary` is for protocols whose test metrics are aggregates over
 * repeated runs (few-shot: mean over tries per n); they carry no per-sample scores.
 */
export type ProtocolOutput = ProtocolOutcome & { extra?: Record<string, unknown>; summary?: Record<string, number | null> };

export interface ProtocolDefinition<C> {
  /** Null when the protocol applies to the task; else the reason it is skipped. */
  notApplicable(task: TaskInfo): string | null;
  /** Feature sets the protocol trains on: set name → backbone feature name. */
  featureSets(config: C, card: ModelCard, defaultFeature: string): Record<string, string>;
  run(input: ProtocolRunInput<C>): Promise<ProtocolOutput>;
}

function requireVal(input: ProtocolRunInput<unknown>, protocol: string): LabelledFeatures {
  if (!input.val) {
    throw new MedprobeError(`${protocol} selects hyperparameters on a validation split, and ${input.dataset} has none`, {
      hint: 'give the dataset a val split (official, systematic or random split in the suite)',
    });
  }
  return input.val;
}

const defaultOnly = (_c: unknown, _card: ModelCard, feature: string): Record<string, string> => ({ [feature]: feature });

/** The reference study's heads: {last 1, last 4 blocks} × {CLS, CLS + mean patch token}, named as the probe reports them. */
export const VIT_FEATURE_SETS: Readonly<Record<string, string>> = {
  'last1/cls': 'cls',
  'last1/cls+mean': 'cls+mean-patch',
  'last4/cls': 'last4/cls',
  'last4/cls+mean': 'last4/cls+mean-patch',
};

function linearFeatureSets(config: LinearConfig, card: ModelCard, feature: string): Record<string, string> {
  if (config.featureSets !== 'auto') return Object.fromEntries(config.featureSets.map((f) => [f, f]));
  return card.vit && card.vit.hasClsToken !== false ? { ...VIT_FEATURE_SETS } : { [feature]: feature };
}

function setsOf(input: ProtocolRunInput<unknown>, split: SplitName, base: LabelledFeatures): LabelledFeatures & { features: LabelledFeatures['features'] | Record<string, Matrix> } {
  const sets = input.featureSets?.[split];
  return sets && Object.keys(sets).length > 1 ? { ...base, features: sets as never } : base;
}

const knn: ProtocolDefinition<KnnConfig> = {
  notApplicable: () => null,
  featureSets: defaultOnly,
  run: (input) =>
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
};

const linear: ProtocolDefinition<LinearConfig> = {
  notApplicable: () => null,
  featureSets: linearFeatureSets,
  async run(input) {
    const probe = (seed: number) =>
      runLinearProbe({
        dataset: input.dataset,
        task: input.task,
        train: setsOf(input, 'train', input.train),
        val: setsOf(input, 'val', requireVal(input, 'linear')),
        test: setsOf(input, 'test', input.test),
        lrGrid: input.config.lr,
        weightDecayGrid: input.config.weightDecay,
        epochs: input.config.epochs,
        batchSize: input.config.batchSize,
        seed,
        selectMetric: input.selectionMetric,
      });
    const seeds = input.config.seeds ?? [input.seed];
    const first: ProtocolOutput = await probe(seeds[0]);
    if (seeds.length === 1) return first;
    const runs = [{ seed: seeds[0], chosen: first.chosen, metrics: evaluateClassification(input.task, input.test.labels, first.testScores) }];
    for (const seed of seeds.slice(1)) {
      const out = await probe(seed);
      runs.push({ seed, chosen: out.chosen, metrics: evaluateClassification(input.task, input.test.labels, out.testScores) });
    }
    const keys = Object.keys(runs[0].metrics);
    const summary = Object.fromEntries(keys.map((k) => [k, meanSd(runs.map((r) => r.metrics[k]))]));
    return { ...first, extra: { ...first.extra, seeds: { runs, meanSd: summary } } };
  },
};

const mlknn: ProtocolDefinition<MlKnnConfig> = {
  notApplicable: (task) => (task.type === 'multi-label' ? null : `ML-kNN is for multi-label tasks, this one is ${task.type}`),
  featureSets: defaultOnly,
  run: (input) =>
    runMlKnnProtocol({
      dataset: input.dataset,
      task: input.task,
      train: input.train,
      val: requireVal(input, 'mlknn'),
      test: input.test,
      kGrid: input.config.k,
      smoothing: input.config.smoothing,
      selectMetric: input.selectionMetric,
    }),
};

const fewshot: ProtocolDefinition<FewShotConfig> = {
  notApplicable: (task) => (task.type === 'multi-label' ? 'few-shot draws n per class, which is undefined for multi-label tasks' : null),
  featureSets: defaultOnly,
  async run(input) {
    const c = input.config;
    const curve = await runFewShot({
      dataset: input.dataset,
      task: input.task,
      train: input.train,
      val: requireVal(input, 'fewshot'),
      test: input.test,
      shots: c.shots,
      tries: c.tries,
      protocols: c.protocols,
      seed: input.seed,
      selectMetric: input.selectionMetric,
      tooLarge: c.tooLarge,
      knn: { kGrid: c.k },
      linear: { lrGrid: c.lr, epochs: c.epochs },
    });
    // The headline: the first configured protocol at the largest n that ran (mean over tries).
    const head = curve.points.filter((p) => p.protocol === c.protocols[0]).sort((a, b) => b.shots - a.shots)[0];
    return {
      protocol: 'fewshot',
      config: curve.config,
      selection: { metric: input.selectionMetric, split: 'val' },
      chosen: head ? { protocol: head.protocol, shots: head.shots, summary: 'mean over tries' } : {},
      candidates: curve.points.map((p) => ({ params: { protocol: p.protocol, shots: p.shots }, score: p.mean[input.selectionMetric] ?? null })),
      testScores: new Float32Array(0),
      scoreWidth: 0,
      summary: head ? head.mean : {},
      extra: { fewShot: curve },
    };
  },
};

/** Suite protocol name → its definition. */
export const PROTOCOLS = { knn, linear, mlknn, fewshot } as const;

export type ProtocolName = keyof typeof PROTOCOLS;
