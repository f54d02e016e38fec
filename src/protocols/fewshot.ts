import { fewShotSample } from '../data/splits/fewshot.js';
import type { TaskInfo } from '../data/types.js';
import { evaluateClassification } from '../metrics/evaluate-classification.js';
import { MedprobeError } from '../util/errors.js';
import { takeRows } from '../util/matrix.js';
import { deriveSeed } from '../util/random.js';
import { DEFAULT_K_GRID, DEFAULT_KNN_TEMPERATURE, runKnnProtocol } from './knn.js';
import { DEFAULT_LR_GRID, runLinearProbe } from './linear/probe.js';
import type { SelectionMetric } from './select.js';
import type { LabelledFeatures, ProtocolContext } from './types.js';
import { assertLabels, splitLabel } from './validate.js';

export const DEFAULT_SHOTS: readonly number[] = [1, 2, 4, 8, 16];
export const DEFAULT_TRIES = 5;
/** Few-shot sets are tiny, so one epoch is one step; 100 steps let small lrs move. */
export const DEFAULT_FEWSHOT_EPOCHS = 100;

/**
 * Draws the few-shot training subset: training-row indices, ascending, `shots` per class.
 * The default is data/splits' fewShotSample: n patients per class (one image each) when
 * patient ids are given, else n images per class.
 */
export type FewShotSampler = (train: LabelledFeatures, shots: number, seed: number) => Int32Array;

export const patientAwareSampler: FewShotSampler = (train, shots, seed) => {
  const items = Array.from(train.labels, (label, i) => ({ id: String(i), label, patientId: train.patientIds?.[i] }));
  const { ids } = fewShotSample(items, { n: shots, seed, onTooFew: 'error' });
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
 * NOT refit on train+val — that would hand it every val label. Single-label tasks only.
 */
export async function runFewShot(opts: FewShotRunOptions): Promise<FewShotCurve> {
  const { task, train } = opts;
  const shots = [...(opts.shots ?? DEFAULT_SHOTS)];
  const tries = opts.tries ?? DEFAULT_TRIES;
  const protocols = [...(opts.protocols ?? ['knn', 'linear'])];
  const seed = opts.seed ?? 0;
  const metrics = [...(opts.metrics ?? ['auroc', 'accuracy'])];
  const sampler = opts.sampler ?? patientAwareSampler;
  const where = splitLabel(opts.dataset, 'train');
  if (task.type === 'multi-label') {
    throw new MedprobeError('few-shot sampling per class is defined for single-label tasks; this task is multi-label', { hint: 'run the full kNN / ML-kNN / linear protocols for multi-label datasets' });
  }
  for (const n of shots) if (!Number.isInteger(n) || n < 1) throw new MedprobeError(`few-shot n must be a positive integer, got ${n}`, { hint: 'e.g. shots: [1, 2, 4, 8, 16]' });
  if (!Number.isInteger(tries) || tries < 1) throw new MedprobeError(`few-shot tries must be a positive integer, got ${tries}`, { hint: 'the default is 5' });
  assertLabels(task, train.labels, train.features.rows, where);

  // Drawable units per class: patients where ids are known (an image without one is its own unit).
  const units = task.labels.map(() => new Set<string>());
  train.labels.forEach((l, i) => units[l].add(train.patientIds?.[i] ? `p:${train.patientIds[i]}` : `s:${i}`));
  const classSize = units.map((u) => u.size);
  const smallest = Math.min(...classSize);
  const smallestName = task.labels[classSize.indexOf(smallest)];

  const points: FewShotPoint[] = [];
  const skipped: { shots: number; reason: string }[] = [];
  for (const n of shots) {
    if (n > smallest) {
      const reason = `${where}: class '${smallestName}' has ${smallest} ${train.patientIds ? 'patients' : 'samples'}, fewer than n=${n}`;
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
        labels: Int32Array.from(idx, (i) => train.labels[i]),
        ids: train.ids ? Array.from(idx, (i) => train.ids![i]) : undefined,
      };
      for (const p of protocols) {
        const common = { dataset: opts.dataset, task, train: sub, val: opts.val, test: opts.test, selectMetric: opts.selectMetric };
        const out =
          p === 'knn'
            ? await runKnnProtocol({ ...common, kGrid: opts.knn?.kGrid ?? DEFAULT_K_GRID, temperature: opts.knn?.temperature ?? DEFAULT_KNN_TEMPERATURE })
            : await runLinearProbe({
                ...common,
                lrGrid: opts.linear?.lrGrid ?? DEFAULT_LR_GRID,
                weightDecayGrid: opts.linear?.weightDecayGrid,
                epochs: opts.linear?.epochs ?? DEFAULT_FEWSHOT_EPOCHS,
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
    config: { shots, tries, protocols, seed, metrics, sampler: opts.sampler ? 'custom' : train.patientIds ? 'patient-level (data/splits fewShotSample)' : 'image-level (data/splits fewShotSample)', selection: 'full val split', linearRefit: 'none', tooLarge: opts.tooLarge ?? 'skip' },
    points,
    skipped,
  };
}
