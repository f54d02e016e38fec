// The linear-probe protocol: grid of logistic-regression heads trained together in ORT.
import { evaluateClassification } from '../../metrics/evaluate-classification.js';
import { meanSd } from '../../metrics/summary.js';
import type { ModelCard } from '../../models/card.js';
import type { Matrix } from '../../util/matrix.js';
import { defineProtocol, requireVal, type ProtocolOutput, type ProtocolRunInput } from '../protocol.js';
import type { LabelledFeatures } from '../types.js';
import { LinearOptionsSchema, type LinearConfig } from './options.js';
import { runLinearProbe } from './probe.js';

export * from './probe.js';
export * from './options.js';

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

/** A split with every feature set the probe asked for, when it asked for several. */
function setsOf(input: ProtocolRunInput<unknown>, split: 'train' | 'val' | 'test', base: LabelledFeatures): LabelledFeatures & { features: LabelledFeatures['features'] | Record<string, Matrix> } {
  const sets = input.featureSets?.[split];
  return sets && Object.keys(sets).length > 1 ? { ...base, features: sets as never } : base;
}

/** The registry entry: the one-pass grid of linear heads, chosen on val, refit on train+val; optionally over several seeds. */
export const linearProtocol = defineProtocol({
  name: 'linear',
  kind: 'classification',
  description: 'logistic-regression heads over feature sets × lr × weight decay in one pass, chosen on val, refit on train+val',
  options: LinearOptionsSchema,
  mainScore: 'auroc',
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
        minSteps: input.config.minSteps,
        lrSelection: input.config.lrSelection,
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
});
