import { z } from 'zod';
import type { TaskInfo } from '../data/types.js';
import { cosineTopK, type Neighbours } from '../engine/similarity.js';
import { MedprobeError } from '../util/errors.js';
import type { Matrix } from '../util/matrix.js';
import { DEFAULT_SELECTION_METRIC, bestCandidate, selectionScore, type SelectionMetric } from './select.js';
import type { Candidate, LabelledFeatures, ProtocolContext, ProtocolOutcome } from './types.js';
import { assertFiniteFeatures, splitLabel, validateSplit } from './validate.js';
import { defaultFeatureOnly, defineProtocol, requireVal } from './protocol.js';

/** ML-kNN's suite options; every default here is THE default (library calls included). */
export const MlKnnOptionsSchema = z
  .object({
    k: z.array(z.number().int().positive()).nonempty().default([10]),
    smoothing: z.number().positive().default(1),
  })
  .strict();
export type MlKnnConfig = z.infer<typeof MlKnnOptionsSchema>;
const MLKNN_DEFAULTS = MlKnnOptionsSchema.parse({});

/**
 * ML-kNN (Zhang & Zhou 2007, "ML-KNN: A lazy learning approach to multi-label learning",
 * Pattern Recognition 40(7)), exactly as the paper's pseudo-code, per label l:
 *   prior       P(H1) = (s + Σ_i y_i(l)) / (2s + m)
 *   counts      for each training x_i (its k neighbours, itself excluded): δ = #neighbours with l;
 *               c[δ] += 1 if x_i has l, else c'[δ] += 1
 *   likelihood  P(E_j|H1) = (s + c[j]) / (s(k+1) + Σ_p c[p]);  P(E_j|H0) likewise with c'
 *   posterior   r_t(l) = P(H1)P(E_j|H1) / (P(H1)P(E_j|H1) + P(H0)P(E_j|H0)),  j = #neighbours of t with l
 * The score is r_t(l) (the paper's rank function). The one departure: neighbours are by
 * cosine similarity of the features, the same engine as kNN, not Euclidean distance.
 */
export interface MlKnnModel {
  k: number;
  smoothing: number;
  labels: number;
  /** P(H1_l), [L]. */
  prior: Float64Array;
  /** P(E_j | H1_l), [(k+1) × L]. */
  likelihoodPos: Float64Array;
  /** P(E_j | H0_l), [(k+1) × L]. */
  likelihoodNeg: Float64Array;
}

/** Neighbour label counts: [rows × L], how many of each row's neighbours carry label l. */
function neighbourCounts(nb: Neighbours, bankLabels: Int32Array, L: number): Int32Array {
  const out = new Int32Array(nb.rows * L);
  for (let i = 0; i < nb.rows; i++) {
    for (let j = 0; j < nb.k; j++) {
      const a = nb.indices[i * nb.k + j];
      for (let l = 0; l < L; l++) out[i * L + l] += bankLabels[a * L + l];
    }
  }
  return out;
}

/** The paper's training step from the training rows' own (self-excluded) neighbours. */
export function mlknnFromNeighbours(trainLabels: Int32Array, L: number, selfNeighbours: Neighbours, smoothing = MLKNN_DEFAULTS.smoothing): MlKnnModel {
  const m = trainLabels.length / L;
  const k = selfNeighbours.k;
  const s = smoothing;
  const prior = new Float64Array(L);
  for (let l = 0; l < L; l++) {
    let pos = 0;
    for (let i = 0; i < m; i++) pos += trainLabels[i * L + l];
    prior[l] = (s + pos) / (2 * s + m);
  }
  const delta = neighbourCounts(selfNeighbours, trainLabels, L);
  const c = new Float64Array((k + 1) * L);
  const cNeg = new Float64Array((k + 1) * L);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < L; l++) {
      const j = delta[i * L + l];
      if (trainLabels[i * L + l]) c[j * L + l]++;
      else cNeg[j * L + l]++;
    }
  }
  const likelihoodPos = new Float64Array((k + 1) * L);
  const likelihoodNeg = new Float64Array((k + 1) * L);
  for (let l = 0; l < L; l++) {
    let sum = 0;
    let sumNeg = 0;
    for (let j = 0; j <= k; j++) {
      sum += c[j * L + l];
      sumNeg += cNeg[j * L + l];
    }
    for (let j = 0; j <= k; j++) {
      likelihoodPos[j * L + l] = (s + c[j * L + l]) / (s * (k + 1) + sum);
      likelihoodNeg[j * L + l] = (s + cNeg[j * L + l]) / (s * (k + 1) + sumNeg);
    }
  }
  return { k, smoothing: s, labels: L, prior, likelihoodPos, likelihoodNeg };
}

/** Posterior r_t(l) for query rows from their k neighbours in the training set: [rows × L]. */
export function mlknnScores(model: MlKnnModel, trainLabels: Int32Array, queryNeighbours: Neighbours): Float32Array {
  const L = model.labels;
  if (queryNeighbours.k !== model.k) throw new RangeError(`query has ${queryNeighbours.k} neighbours, model was fitted with k=${model.k}`);
  const delta = neighbourCounts(queryNeighbours, trainLabels, L);
  const out = new Float32Array(queryNeighbours.rows * L);
  for (let i = 0; i < queryNeighbours.rows; i++) {
    for (let l = 0; l < L; l++) {
      const j = delta[i * L + l];
      const p1 = model.prior[l] * model.likelihoodPos[j * L + l];
      const p0 = (1 - model.prior[l]) * model.likelihoodNeg[j * L + l];
      out[i * L + l] = p1 / (p1 + p0);
    }
  }
  return out;
}

function requireMultiLabel(task: TaskInfo): void {
  if (task.type !== 'multi-label') throw new MedprobeError(`ML-kNN is a multi-label method; this task is ${task.type}`, { hint: 'use the knn protocol for single-label tasks' });
}

function checkK(k: number, bank: number): void {
  if (!Number.isInteger(k) || k < 1) throw new MedprobeError(`ML-kNN k must be a positive integer, got ${k}`, { hint: 'the paper uses k = 10' });
  if (k >= bank) throw new MedprobeError(`ML-kNN k=${k} needs more than k training samples (have ${bank})`, { hint: 'lower k' });
}

/** Fit on `train` (leave-one-out neighbours) and score `query`; per-label posteriors [rows × L]. */
export async function mlknnClassify(opts: { train: LabelledFeatures; query: Matrix; task: TaskInfo; k?: number; smoothing?: number }): Promise<Float32Array> {
  requireMultiLabel(opts.task);
  const k = opts.k ?? 10;
  checkK(k, opts.train.features.rows);
  const L = opts.task.labels.length;
  const self = await cosineTopK(opts.train.features, opts.train.features, k, { excludeSelf: true });
  const model = mlknnFromNeighbours(opts.train.labels, L, self, opts.smoothing ?? MLKNN_DEFAULTS.smoothing);
  return mlknnScores(model, opts.train.labels, await cosineTopK(opts.train.features, opts.query, k));
}

export interface MlKnnProtocolOptions extends ProtocolContext {
  train: LabelledFeatures;
  val: LabelledFeatures;
  test: LabelledFeatures;
  task: TaskInfo;
  kGrid?: readonly number[];
  smoothing?: number;
  selectMetric?: SelectionMetric;
}

/** k chosen on val (ties → smaller k); the model is fitted on train, as for kNN. */
export async function runMlKnnProtocol(opts: MlKnnProtocolOptions): Promise<ProtocolOutcome> {
  const { task, train } = opts;
  requireMultiLabel(task);
  const kGrid = [...new Set(opts.kGrid ?? MLKNN_DEFAULTS.k)].sort((a, b) => a - b);
  const s = opts.smoothing ?? MLKNN_DEFAULTS.smoothing;
  if (!(s > 0)) throw new MedprobeError(`ML-kNN smoothing must be positive, got ${s}`, { hint: 'the paper uses s = 1 (Laplace)' });
  const metric = opts.selectMetric ?? DEFAULT_SELECTION_METRIC;
  validateSplit(task, train, splitLabel(opts.dataset, 'train'), { needBothOutcomes: true });
  validateSplit(task, opts.val, splitLabel(opts.dataset, 'val'), { needBothOutcomes: true });
  assertFiniteFeatures(opts.test.features, opts.test.ids, splitLabel(opts.dataset, 'test'));
  for (const k of kGrid) checkK(k, train.features.rows);
  const L = task.labels.length;
  const kMax = kGrid[kGrid.length - 1];
  // One neighbour search at the largest k serves every k: top-k lists are prefixes.
  const selfAll = await cosineTopK(train.features, train.features, kMax, { excludeSelf: true });
  const valAll = await cosineTopK(train.features, opts.val.features, kMax);
  const testAll = await cosineTopK(train.features, opts.test.features, kMax);
  const models = kGrid.map((k) => mlknnFromNeighbours(train.labels, L, prefix(selfAll, k), s));
  const candidates: Candidate[] = kGrid.map((k, i) => ({
    params: { k },
    score: selectionScore(metric, task, opts.val.labels, mlknnScores(models[i], train.labels, prefix(valAll, k))),
  }));
  const best = bestCandidate(candidates, splitLabel(opts.dataset, 'val'), metric);
  return {
    protocol: 'mlknn',
    config: { kGrid, smoothing: s, similarity: 'cosine', bank: 'train', selectMetric: metric },
    selection: { metric, split: 'val' },
    chosen: { k: kGrid[best] },
    candidates,
    testScores: mlknnScores(models[best], train.labels, prefix(testAll, kGrid[best])),
    scoreWidth: L,
  };
}

/** The first k neighbours of each row. */
function prefix(nb: Neighbours, k: number): Neighbours {
  if (k === nb.k) return nb;
  const indices = new Int32Array(nb.rows * k);
  const sims = new Float32Array(nb.rows * k);
  for (let i = 0; i < nb.rows; i++) {
    indices.set(nb.indices.subarray(i * nb.k, i * nb.k + k), i * k);
    sims.set(nb.sims.subarray(i * nb.k, i * nb.k + k), i * k);
  }
  return { rows: nb.rows, k, indices, sims };
}

/** The registry entry: ML-kNN for multi-label tasks, k chosen on val. */
export const mlknnProtocol = defineProtocol({
  name: 'mlknn',
  kind: 'classification',
  description: 'ML-kNN (Zhang & Zhou 2007) for multi-label tasks, k chosen on val',
  options: MlKnnOptionsSchema,
  mainScore: 'auroc',
  notApplicable: (task) => (task.type === 'multi-label' ? null : `ML-kNN is for multi-label tasks, this one is ${task.type}`),
  featureSets: defaultFeatureOnly,
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
});
