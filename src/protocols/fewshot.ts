import { z } from 'zod';
import { fewShotSample, fewShotSampleMultiLabel, multiLabelGroups, type MultiLabelFewShotItem } from '../data/splits/fewshot.js';
import type { TaskInfo } from '../data/types.js';
import { evaluateClassification } from '../metrics/evaluate-classification.js';
import { MedprobeError } from '../util/errors.js';
import { takeRows } from '../util/matrix.js';
import { deriveSeed } from '../util/random.js';
import { DEFAULT_KNN_TEMPERATURE, runKnnProtocol } from './knn.js';
import { runLinearProbe } from './linear/probe.js';
import { defaultFeatureOnly, defineProtocol, requireVal } from './protocol.js';
import type { SelectionMetric } from './select.js';
import type { LabelledFeatures, ProtocolContext } from './types.js';
import { assertLabels, splitLabel } from './validate.js';

/**
 * Few-shot's suite options. Every default here is THE default: runFewShot's library defaults
 * come from this schema too, so a suite and a library call draw the same curve.
 */
export const FewShotOptionsSchema = z
  .object({
    /** Patients (or images when there are no patient ids) per class. */
    shots: z.array(z.number().int().positive()).nonempty().default([1, 2, 4, 8, 16]),
    tries: z.number().int().positive().default(5),
    protocols: z.array(z.enum(['knn', 'linear'])).nonempty().default(['knn', 'linear']),
    /** kNN's k for n-shot banks: small, since a bank holds only n per class. */
    k: z.array(z.number().int().positive()).nonempty().default([1, 5, 10, 20]),
    lr: z.array(z.number().positive()).nonempty().default([1e-1, 1e-2, 1e-3, 1e-4]),
    /** Few-shot sets are tiny, so one epoch is one step; 100 steps let small lrs move. */
    epochs: z.number().int().positive().default(100),
    /** n larger than the smallest class: skip that n with a stated reason, or stop. */
    tooLarge: z.enum(['skip', 'error']).default('skip'),
  })
  .strict();
export type FewShotConfig = z.infer<typeof FewShotOptionsSchema>;

const FEWSHOT_DEFAULTS = FewShotOptionsSchema.parse({});
export const DEFAULT_SHOTS: readonly number[] = FEWSHOT_DEFAULTS.shots;
export const DEFAULT_TRIES = FEWSHOT_DEFAULTS.tries;
export const DEFAULT_FEWSHOT_EPOCHS = FEWSHOT_DEFAULTS.epochs;

/**
 * Draws the few-shot training subset: training-row indices, ascending, `shots` per class.
 * The defaults are data/splits' samplers: n patients per class (one image each) when patient
 * ids are given, else n images per class; for multi-label tasks, n per label plus n no-finding.
 */
export type FewShotSampler = (train: LabelledFeatures, shots: number, seed: number) => Int32Array;

export const patientAwareSampler: FewShotSampler = (train, shots, seed) => {
  const items = Array.from(train.labels, (label, i) => ({ id: String(i), label, patientId: train.patientIds?.[i] }));
  const { ids } = fewShotSample(items, { n: shots, seed, onTooFew: 'error' });
  return Int32Array.from(ids, Number).sort();
};

/** Row i's positive label indices, from a [rows × L] 0/1 label matrix. */
function multiLabelItems(train: LabelledFeatures): MultiLabelFewShotItem[] {
  const rows = train.features.rows;
  const width = train.labels.length / rows;
  return Array.from({ length: rows }, (_, i) => {
    const positives: number[] = [];
    for (let l = 0; l < width; l++) if (train.labels[i * width + l] === 1) positives.push(l);
    return { id: String(i), positives, patientId: train.patientIds?.[i] };
  });
}

export const multiLabelSampler: FewShotSampler = (train, shots, seed) => {
  const { ids } = fewShotSampleMultiLabel(multiLabelItems(train), train.labels.length / train.features.rows, { n: shots, seed });
  return Int32Array.from(ids, Number).sort();
};

export type FewShotProtocol = 'knn' | 'linear';

export interface FewShotRunOptions extends ProtocolContext {
  train: LabelledFeatures;
  val: LabelledFeatures;
  test: LabelledFeatures;
  task: TaskInfo;
  shots?: readonly number[];
  tries?: number;
  protocols?: readonly FewShotProtocol[];
  seed?: number;
  selectMetric?: SelectionMetric;
  /** Test metrics summarised per n (keys of evaluateClassification). */
  metrics?: readonly string[];
  /** n larger than the smallest class: skip that n with a stated reason (default) or fail. */
  tooLarge?: 'skip' | 'error';
  sampler?: FewShotSampler;
  knn?: { kGrid?: readonly number[]; temperature?: number };
  linear?: { lrGrid?: readonly number[]; weightDecayGrid?: readonly number[]; epochs?: number; batchSize?: number };
}

export interface FewShotPoint {
  protocol: FewShotProtocol;
  shots: number;
  /** Per try: the seed of its draw, training size, chosen hyperparameters and test metrics. */
  tries: { seed: number; trainSize: number; chosen: Record<string, unknown>; metrics: Record<string, number | null> }[];
  /** Mean and sample standard deviation (n−1) over tries, per metric; null where undefined in any try. */
  mean: Record<string, number | null>;
  sd: Record<string, number | null>;
}

export interface FewShotCurve {
  protocol: 'fewshot';
  config: Record<string, unknown>;
  points: FewShotPoint[];
  skipped: { shots: number; reason: string }[];
}

function summarise(values: (number | null)[]): { mean: number | null; sd: number | null } {
  if (values.some((v) => v === null) || values.length === 0) return { mean: null, sd: null };
  const xs = values as number[];
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/**
 * Few-shot curves: for each n, T draws of n examples per class from train (seeded per n and
 * try), each scored on the full test split by kNN and/or the linear probe. Hyperparameters
 * (k; lr, weight decay) are still selected on the full val split, but the linear probe is
 * NOT refit on train+val — that would hand it every val label. Multi-label tasks draw n per
 * label plus n no-finding (data/splits fewShotSampleMultiLabel).
 */
export async function runFewShot(opts: FewShotRunOptions): Promise<FewShotCurve> {
  const { task, train } = opts;
  const shots = [...(opts.shots ?? DEFAULT_SHOTS)];
  const tries = opts.tries ?? DEFAULT_TRIES;
  const protocols = [...(opts.protocols ?? FEWSHOT_DEFAULTS.protocols)];
  const seed = opts.seed ?? 0;
  const metrics = [...(opts.metrics ?? ['auroc', 'accuracy'])];
  const multiLabel = task.type === 'multi-label';
  const sampler = opts.sampler ?? (multiLabel ? multiLabelSampler : patientAwareSampler);
  const where = splitLabel(opts.dataset, 'train');
  for (const n of shots) if (!Number.isInteger(n) || n < 1) throw new MedprobeError(`few-shot n must be a positive integer, got ${n}`, { hint: 'e.g. shots: [1, 2, 4, 8, 16]' });
  if (!Number.isInteger(tries) || tries < 1) throw new MedprobeError(`few-shot tries must be a positive integer, got ${tries}`, { hint: 'the default is 5' });
  assertLabels(task, train.labels, train.features.rows, where);

  // Drawable units per class (per label, plus no-finding, for multi-label): patients where ids
  // are known (an image without one is its own unit). An empty no-finding group is left out.
  const groupSizes: { name: string; size: number }[] = [];
  if (multiLabel) {
    const groups = multiLabelGroups(multiLabelItems(train), task.labels.length);
    groups.forEach((g, i) => {
      if (i < task.labels.length) groupSizes.push({ name: `label '${task.labels[i]}'`, size: g.size });
      else if (g.size > 0) groupSizes.push({ name: 'the no-finding group', size: g.size });
    });
  } else {
    const units = task.labels.map(() => new Set<string>());
    train.labels.forEach((l, i) => units[l].add(train.patientIds?.[i] ? `p:${train.patientIds[i]}` : `s:${i}`));
    units.forEach((u, i) => groupSizes.push({ name: `class '${task.labels[i]}'`, size: u.size }));
  }
  const { name: smallestName, size: smallest } = groupSizes.reduce((a, b) => (b.size < a.size ? b : a));
  const width = train.labels.length / train.features.rows;

  const points: FewShotPoint[] = [];
  const skipped: { shots: number; reason: string }[] = [];
  for (const n of shots) {
    if (n > smallest) {
      const reason = `${where}: ${smallestName} has ${smallest} ${train.patientIds ? 'patients' : 'samples'}, fewer than n=${n}`;
      if (opts.tooLarge === 'error') throw new MedprobeError(reason, { hint: 'drop this n from the few-shot grid' });
      skipped.push({ shots: n, reason });
      continue;
    }
    const byProtocol = new Map<FewShotProtocol, FewShotPoint['tries']>(protocols.map((p) => [p, []]));
    for (let t = 0; t < tries; t++) {
      const drawSeed = deriveSeed(seed, `fewshot n=${n} try=${t}`);
      const idx = sampler(train, n, drawSeed);
      const sub: LabelledFeatures = {
        features: takeRows(train.features, idx),
        labels: takeLabelRows(train.labels, width, idx),
        ids: train.ids ? Array.from(idx, (i) => train.ids![i]) : undefined,
      };
      for (const p of protocols) {
        const common = { dataset: opts.dataset, task, train: sub, val: opts.val, test: opts.test, selectMetric: opts.selectMetric };
        const out =
          p === 'knn'
            ? await runKnnProtocol({ ...common, kGrid: opts.knn?.kGrid ?? FEWSHOT_DEFAULTS.k, temperature: opts.knn?.temperature ?? DEFAULT_KNN_TEMPERATURE })
            : await runLinearProbe({
                ...common,
                lrGrid: opts.linear?.lrGrid ?? FEWSHOT_DEFAULTS.lr,
                weightDecayGrid: opts.linear?.weightDecayGrid,
                epochs: opts.linear?.epochs ?? DEFAULT_FEWSHOT_EPOCHS,
                // The few-shot schema sets its own training length (one step per epoch at these sizes).
                minSteps: 0,
                batchSize: opts.linear?.batchSize,
                seed: drawSeed,
                refit: 'none',
              });
        const m = evaluateClassification(task, opts.test.labels, out.testScores);
        byProtocol.get(p)!.push({ seed: drawSeed, trainSize: idx.length, chosen: out.chosen, metrics: Object.fromEntries(metrics.map((k) => [k, m[k] ?? null])) });
      }
    }
    for (const [protocol, ts] of byProtocol) {
      const mean: Record<string, number | null> = {};
      const sd: Record<string, number | null> = {};
      for (const k of metrics) ({ mean: mean[k], sd: sd[k] } = summarise(ts.map((x) => x.metrics[k])));
      points.push({ protocol, shots: n, tries: ts, mean, sd });
    }
  }
  return {
    protocol: 'fewshot',
    config: { shots, tries, protocols, seed, metrics, sampler: samplerName(opts.sampler, multiLabel, train.patientIds !== undefined), selection: 'full val split', linearRefit: 'none', tooLarge: opts.tooLarge ?? FEWSHOT_DEFAULTS.tooLarge },
    points,
    skipped,
  };
}

function takeLabelRows(labels: Int32Array, width: number, idx: Int32Array): Int32Array {
  const out = new Int32Array(idx.length * width);
  idx.forEach((r, i) => out.set(labels.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

function samplerName(custom: FewShotSampler | undefined, multiLabel: boolean, patients: boolean): string {
  if (custom) return 'custom';
  const level = patients ? 'patient-level' : 'image-level';
  return multiLabel ? `${level}, n per label plus n no-finding (data/splits fewShotSampleMultiLabel)` : `${level} (data/splits fewShotSample)`;
}

/** What a few-shot number is, in words: `kNN at 64 shots per class, mean of 5 tries`. */
export function fewShotHeadline(protocol: FewShotProtocol, shots: number, tries: number, per: 'class' | 'label' = 'class'): string {
  return `${protocol === 'knn' ? 'kNN' : 'linear probe'} at ${shots} shot${shots === 1 ? '' : 's'} per ${per}, mean of ${tries} tr${tries === 1 ? 'y' : 'ies'}`;
}

/** The registry entry: few-shot curves (n per class × tries) for kNN and/or the linear probe. */
export const fewshotProtocol = defineProtocol({
  name: 'fewshot',
  kind: 'classification',
  description: 'few-shot curves: n patients (or images) per class (multi-label: per label, plus n no-finding) × tries, kNN and linear, hyperparameters chosen on the full val split',
  options: FewShotOptionsSchema,
  mainScore: 'auroc',
  notApplicable: () => null,
  featureSets: defaultFeatureOnly,
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
    // The headline: the first configured protocol at the largest n that ran, mean over tries on
    // the test split. Its hyperparameters (k, lr) were chosen per try on the full val split; the
    // curve's points are test means, so they live in extra.fewShot, never as selection candidates.
    const head = curve.points.filter((p) => p.protocol === c.protocols[0]).sort((a, b) => b.shots - a.shots)[0];
    return {
      protocol: 'fewshot',
      config: curve.config,
      selection: { metric: input.selectionMetric, split: 'val' },
      chosen: head
        ? { headline: fewShotHeadline(head.protocol, head.shots, head.tries.length, input.task.type === 'multi-label' ? 'label' : 'class'), protocol: head.protocol, shots: head.shots, tries: head.tries.length, scoredOn: 'test', summary: 'mean over tries' }
        : {},
      candidates: [],
      testScores: new Float32Array(0),
      scoreWidth: 0,
      summary: head ? head.mean : {},
      extra: { fewShot: curve },
    };
  },
});
