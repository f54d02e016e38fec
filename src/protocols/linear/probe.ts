import { labelWidth, type TaskInfo } from '../../data/types.js';
import { headColumns, headObjectives, predictHeads, trainHeads, type HeadActivation, type HeadHyper } from '../../engine/heads.js';
import { matrixRows, stackedRows, type RowSource } from '../../engine/rows.js';
import { MedprobeError } from '../../util/errors.js';
import type { Matrix } from '../../util/matrix.js';
import { createProgress, type Progress } from '../../util/progress.js';
import { deriveSeed } from '../../util/random.js';
import { DEFAULT_SELECTION_METRIC, bestCandidate, selectionScore, type SelectionMetric } from '../select.js';
import { scoreWidth, type Candidate, type ProtocolContext, type ProtocolOutcome } from '../types.js';
import { assertBothOutcomes, assertFiniteFeatures, assertLabels, splitLabel } from '../validate.js';
import { LINEAR_DEFAULTS } from './options.js';

/** The reference study's learning-rate grid (from the suite options' defaults, like the rest). */
export const DEFAULT_LR_GRID: readonly number[] = LINEAR_DEFAULTS.lr;
export const DEFAULT_WEIGHT_DECAY_GRID: readonly number[] = LINEAR_DEFAULTS.weightDecay;
export const DEFAULT_PROBE_EPOCHS = LINEAR_DEFAULTS.epochs;
export const DEFAULT_PROBE_MIN_STEPS = LINEAR_DEFAULTS.minSteps;
export type LrSelection = typeof LINEAR_DEFAULTS.lrSelection;
export const DEFAULT_PROBE_BATCH = LINEAR_DEFAULTS.batchSize;

/**
 * The reference study's feature views: last block or last 4 blocks (CLS concatenated),
 * CLS alone or CLS + mean patch token. Backbones without tokens (CNNs) give one pooled view;
 * any other names work too — each named matrix simply gets its own heads.
 */
export type FeatureSetName = 'last1/cls' | 'last1/cls+mean' | 'last4/cls' | 'last4/cls+mean' | (string & {});

export type FeatureInput = Matrix | RowSource;

/** A split for the probe: one feature matrix, or several named views of the same rows (keys: FeatureSetName). */
export interface ProbeSplit {
  features: FeatureInput | Readonly<Record<string, FeatureInput>>;
  labels: Int32Array;
  ids?: readonly string[];
}

export interface LinearProbeGrid {
  lr?: readonly number[];
  weightDecay?: readonly number[];
}

export interface LinearProbeOptions extends ProtocolContext {
  train: ProbeSplit;
  val: ProbeSplit;
  test: ProbeSplit;
  task: TaskInfo;
  grid?: LinearProbeGrid;
  /** Same as grid.lr (flat form used by suite configs); grid.lr wins when both are given. */
  lrGrid?: readonly number[];
  /** Same as grid.weightDecay. */
  weightDecayGrid?: readonly number[];
  epochs?: number;
  /** Train at least this many steps (epochs rise on small datasets; see LinearOptionsSchema). */
  minSteps?: number;
  batchSize?: number;
  momentum?: number;
  seed?: number;
  selectMetric?: SelectionMetric;
  /** 'train-loss' (default) or 'val' (the reference study's): see LinearOptionsSchema. */
  lrSelection?: LrSelection;
  /**
   * 'train+val' (default): retrain the winner on train+val before scoring test. 'none': score
   * test with the grid head itself — few-shot runs need this, or val labels would leak in.
   */
  refit?: 'train+val' | 'none';
  /** Progress over SGD steps (grid then refit). Default: a cli-progress bar on stderr when it is a TTY. */
  onProgress?: (phase: 'grid' | 'refit', done: number, total: number) => void;
}

/** Name used when a split carries a single unnamed feature matrix. */
export const SINGLE_FEATURE_SET = 'features';

function isMatrix(f: unknown): f is Matrix {
  return typeof f === 'object' && f !== null && (f as Matrix).data instanceof Float32Array && typeof (f as Matrix).rows === 'number';
}
function isRowSource(f: unknown): f is RowSource {
  return typeof f === 'object' && f !== null && typeof (f as RowSource).gather === 'function';
}

function featureSets(split: ProbeSplit): Map<string, RowSource> {
  const f = split.features;
  if (isMatrix(f)) return new Map([[SINGLE_FEATURE_SET, matrixRows(f)]]);
  if (isRowSource(f)) return new Map([[SINGLE_FEATURE_SET, f]]);
  return new Map(Object.entries(f).map(([k, v]) => [k, isMatrix(v) ? matrixRows(v) : v]));
}

/** One bar per phase, created on its first step (the total is known only then). */
function terminalProgress(dataset: string | undefined): NonNullable<LinearProbeOptions['onProgress']> {
  let bar: Progress | undefined;
  let phase = '';
  return (p, done, total) => {
    if (p !== phase) {
      bar?.stop();
      phase = p;
      bar = createProgress(`linear probe ${p === 'grid' ? 'grid' : 'refit'}${dataset ? ` ${dataset}` : ''}`, total, 'steps');
    }
    bar?.tick();
    if (done === total) {
      bar?.stop();
      bar = undefined;
    }
  };
}

export function headActivation(task: TaskInfo): HeadActivation {
  return task.type === 'multi-class' || task.type === 'ordinal' ? 'softmax' : 'sigmoid';
}

/**
 * Training targets [rows × scoreWidth]: one-hot for softmax heads, the 0/1 label for the single
 * sigmoid output of a binary task, the 0/1 label vector for multi-label.
 */
export function probeTargets(task: TaskInfo, labels: Int32Array): Float32Array {
  const C = scoreWidth(task);
  const rows = labels.length / labelWidth(task);
  const out = new Float32Array(rows * C);
  if (task.type === 'multi-label' || task.type === 'binary') {
    for (let i = 0; i < out.length; i++) out[i] = labels[i];
  } else {
    for (let i = 0; i < rows; i++) out[i * C + labels[i]] = 1;
  }
  return out;
}

/**
 * The val-best among the heads that, per feature set × weight decay, reached the lowest training
 * objective (ties: first in grid order). Candidates keep their grid positions and val scores.
 */
function bestOfLowestLoss(candidates: readonly Candidate[], where: string, metric: string): number {
  const lowest = new Map<string, number>();
  candidates.forEach((c, i) => {
    if (c.trainLoss === undefined || !Number.isFinite(c.trainLoss)) return;
    const group = `${c.params.features}\u0000${c.params.weightDecay}`;
    const j = lowest.get(group);
    if (j === undefined || c.trainLoss < candidates[j].trainLoss!) lowest.set(group, i);
  });
  const pool = [...lowest.values()].sort((a, b) => a - b);
  if (pool.length === 0) return bestCandidate(candidates, where, metric); // every head diverged: its error says so
  return pool[bestCandidate(pool.map((i) => candidates[i]), where, metric)];
}

/** Epochs the probe trains on `rows` fitting rows: the requested ones, raised until they make at least minSteps steps. */
export function probeEpochs(rows: number, batchSize: number, epochs: number = DEFAULT_PROBE_EPOCHS, minSteps: number = DEFAULT_PROBE_MIN_STEPS): number {
  return Math.max(epochs, Math.ceil(minSteps / Math.ceil(rows / batchSize)));
}

function checkGrid(name: string, values: readonly number[], allowZero: boolean): void {
  if (values.length === 0) throw new MedprobeError(`linear probe ${name} grid is empty`, { hint: `list at least one ${name}` });
  for (const v of values) {
    if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
      throw new MedprobeError(`linear probe ${name} ${v} is not ${allowZero ? 'a non-negative' : 'a positive'} number`, { hint: 'fix the grid in the suite file' });
    }
  }
}

/**
 * Logistic-regression probe over a grid (feature set × lr × weight decay), all heads trained
 * together in ONNX Runtime (engine/heads.ts). Each head is scored on val; by default only the
 * lowest-objective lr of each feature set × weight decay competes there (lrSelection). The winner is
 * retrained from scratch on train+val (same epochs, schedule and seed scheme; standardisation
 * statistics recomputed on train+val, since they belong to the fitting data) and scores test.
 */
export async function runLinearProbe(opts: LinearProbeOptions): Promise<ProtocolOutcome> {
  const { task } = opts;
  const lrs = [...(opts.grid?.lr ?? opts.lrGrid ?? DEFAULT_LR_GRID)];
  const wds = [...(opts.grid?.weightDecay ?? opts.weightDecayGrid ?? DEFAULT_WEIGHT_DECAY_GRID)];
  const requestedEpochs = opts.epochs ?? DEFAULT_PROBE_EPOCHS;
  const minSteps = opts.minSteps ?? DEFAULT_PROBE_MIN_STEPS;
  const batchSize = opts.batchSize ?? DEFAULT_PROBE_BATCH;
  const momentum = opts.momentum ?? 0.9;
  const seed = opts.seed ?? 0;
  const metric = opts.selectMetric ?? DEFAULT_SELECTION_METRIC;
  const lrSelection = opts.lrSelection ?? LINEAR_DEFAULTS.lrSelection;
  checkGrid('lr', lrs, false);
  checkGrid('weight decay', wds, true);
  if (!Number.isInteger(requestedEpochs) || requestedEpochs < 1) throw new MedprobeError(`linear probe epochs must be a positive integer, got ${requestedEpochs}`, { hint: 'fix epochs in the suite file' });
  if (lrSelection !== 'train-loss' && lrSelection !== 'val') throw new MedprobeError(`linear probe lrSelection must be 'train-loss' or 'val', got '${lrSelection}'`, { hint: 'fix lrSelection in the suite file' });
  if (!Number.isInteger(minSteps) || minSteps < 0) throw new MedprobeError(`linear probe minSteps must be a non-negative integer, got ${minSteps}`, { hint: 'fix minSteps in the suite file' });
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new MedprobeError(`linear probe batch size must be a positive integer, got ${batchSize}`, { hint: 'fix batchSize in the suite file' });

  const where = (s: string) => splitLabel(opts.dataset, s);
  const onProgress = opts.onProgress ?? terminalProgress(opts.dataset);
  const sets = { train: featureSets(opts.train), val: featureSets(opts.val), test: featureSets(opts.test) };
  const names = [...sets.train.keys()];
  if (names.length === 0) throw new MedprobeError(`${where('train')}: no feature sets given to the linear probe`, { hint: 'pass at least one feature matrix' });
  for (const split of ['train', 'val', 'test'] as const) {
    const have = sets[split];
    const probe = opts[split];
    for (const name of names) {
      const src = have.get(name);
      if (!src) throw new MedprobeError(`${where(split)}: feature set '${name}' is missing (have: ${[...have.keys()].join(', ')})`, { hint: 'give every split the same feature sets' });
      if (src.cols !== sets.train.get(name)!.cols) throw new MedprobeError(`${where(split)}: feature set '${name}' is ${src.cols}-d but ${sets.train.get(name)!.cols}-d in train`, { hint: 'all splits must come from the same model and feature' });
      assertFiniteFeatures(src, probe.ids, where(split), name);
      const rows = src.rows;
      if (split !== 'test' || probe.labels.length > 0) assertLabels(task, probe.labels, rows, where(split));
    }
  }
  assertBothOutcomes(task, opts.train.labels, where('train'));
  assertBothOutcomes(task, opts.val.labels, where('val'));

  // Fixed from the grid's fitting rows and reused by the refit, which therefore runs at least as many steps.
  const epochs = probeEpochs(sets.train.get(names[0])!.rows, batchSize, requestedEpochs, minSteps);
  const C = scoreWidth(task);
  const activation = headActivation(task);
  const targets = probeTargets(task, opts.train.labels);
  const hypers: HeadHyper[] = [];
  for (const weightDecay of wds) for (const lr of lrs) hypers.push({ lr, weightDecay });

  const banks = await trainHeads({
    sources: names.map((n) => sets.train.get(n)!),
    heads: names.map(() => hypers),
    targets,
    classes: C,
    activation,
    epochs,
    batchSize,
    momentum,
    seed: deriveSeed(seed, 'linear-probe/grid'),
    onStep: (d, t) => onProgress('grid', d, t),
  });

  const candidates: Candidate[] = [];
  for (let si = 0; si < names.length; si++) {
    const valSrc = sets.val.get(names[si])!;
    const probs = await predictHeads(banks[si], valSrc);
    const trainLoss = lrSelection === 'train-loss' ? await headObjectives(banks[si], sets.train.get(names[si])!, targets, hypers.map((h) => h.weightDecay)) : undefined;
    hypers.forEach((h, hi) => {
      const scores = headColumns(probs, valSrc.rows, hypers.length, C, hi);
      const params = { features: names[si], lr: h.lr, weightDecay: h.weightDecay };
      // A head whose weights overflowed (absurd lr) yields NaN probabilities: it scores null and
      // says so, instead of failing the other heads of the grid.
      if (!scores.every(Number.isFinite)) candidates.push({ params: { ...params, diverged: true }, score: null });
      else candidates.push({ params, score: selectionScore(metric, task, opts.val.labels, scores), ...(trainLoss ? { trainLoss: trainLoss[hi] } : {}) });
    });
  }
  const best = lrSelection === 'val' ? bestCandidate(candidates, where('val'), metric) : bestOfLowestLoss(candidates, where('val'), metric);
  const chosen = candidates[best].params as { features: string; lr: number; weightDecay: number };
  const failed = candidates.filter((c) => c.params.diverged).length;

  const refitMode = opts.refit ?? 'train+val';
  let final = { ...banks[names.indexOf(chosen.features)] };
  if (refitMode === 'train+val') {
    const refitSrc = stackedRows(sets.train.get(chosen.features)!, sets.val.get(chosen.features)!);
    const refitLabels = new Int32Array(opts.train.labels.length + opts.val.labels.length);
    refitLabels.set(opts.train.labels, 0);
    refitLabels.set(opts.val.labels, opts.train.labels.length);
    [final] = await trainHeads({
      sources: [refitSrc],
      heads: [[{ lr: chosen.lr, weightDecay: chosen.weightDecay }]],
      targets: probeTargets(task, refitLabels),
      classes: C,
      activation,
      epochs,
      batchSize,
      momentum,
      seed: deriveSeed(seed, 'linear-probe/refit'),
      onStep: (d, t) => onProgress('refit', d, t),
    });
  } else {
    // Keep only the chosen head's columns of its feature set's bank.
    const h = hypers.findIndex((x) => x.lr === chosen.lr && x.weightDecay === chosen.weightDecay);
    const D = final.dim;
    const w = new Float32Array(D * C);
    for (let d = 0; d < D; d++) w.set(final.w.subarray(d * final.heads * C + h * C, d * final.heads * C + (h + 1) * C), d * C);
    final = { ...final, heads: 1, w, b: final.b.slice(h * C, (h + 1) * C) };
  }
  const testScores = await predictHeads(final, sets.test.get(chosen.features)!);

  return {
    protocol: 'linear',
    config: {
      featureSets: names,
      lrGrid: lrs,
      weightDecayGrid: wds,
      epochs,
      ...(epochs !== requestedEpochs ? { requestedEpochs, minSteps } : {}),
      batchSize,
      optimizer: { name: 'sgd', momentum, schedule: 'cosine per step', init: 'zeros' },
      loss: activation === 'softmax' ? 'softmax cross-entropy' : 'sigmoid cross-entropy',
      standardise: 'per-feature mean/std of the fitting rows (train for the grid, train+val for the refit)',
      refit: refitMode,
      seed,
      selectMetric: metric,
      lrSelection,
      ...(failed > 0 ? { divergedHeads: failed } : {}),
    },
    selection: { metric, split: 'val' },
    chosen: { ...chosen },
    candidates,
    testScores,
    scoreWidth: C,
    extra: {
      standardisation: { rows: refitMode === 'none' ? 'train' : 'train+val', mean: Array.from(final.mean), invStd: Array.from(final.invStd) },
    },
  };
}
