import { z } from 'zod';
import type { TaskInfo } from '../data/types.js';
import { cosineTopK, type Neighbours } from '../engine/similarity.js';
import { MedprobeError } from '../util/errors.js';
import type { Matrix } from '../util/matrix.js';
import { DEFAULT_SELECTION_METRIC, bestCandidate, selectionScore, type SelectionMetric } from './select.js';
import { scoreWidth, type Candidate, type LabelledFeatures, type ProtocolContext, type ProtocolOutcome } from './types.js';
import { assertFiniteFeatures, splitLabel, validateSplit } from './validate.js';
import { defaultFeatureOnly, defineProtocol, requireVal } from './protocol.js';

/** kNN's suite options; every default here is THE default (library calls included). */
export const KnnOptionsSchema = z
  .object({
    k: z.array(z.number().int().positive()).nonempty().default([10, 20, 100, 200]),
    temperature: z.number().positive().default(0.07),
  })
  .strict();
export type KnnConfig = z.infer<typeof KnnOptionsSchema>;

const KNN_DEFAULTS = KnnOptionsSchema.parse({});
export const DEFAULT_KNN_TEMPERATURE = KNN_DEFAULTS.temperature;
export const DEFAULT_K_GRID: readonly number[] = KNN_DEFAULTS.k;

export interface KnnClassifyOptions {
  train: LabelledFeatures;
  query: Matrix;
  task: TaskInfo;
  k: readonly number[];
  temperature?: number;
}

function checkKs(ks: readonly number[]): void {
  if (ks.length === 0) throw new MedprobeError('kNN needs at least one k', { hint: 'set k (e.g. [10, 20, 100, 200])' });
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) throw new MedprobeError(`kNN k must be a positive integer, got ${k}`, { hint: 'fix the k grid in the suite file' });
  }
}

function checkTemperature(t: number): void {
  if (!(t > 0) || !Number.isFinite(t)) throw new MedprobeError(`kNN temperature must be a positive number, got ${t}`, { hint: 'the reference study uses 0.07' });
}

/**
 * Weighted votes from precomputed neighbours (dinov2's kNN eval): each neighbour votes with
 * w = exp(sim/T) for its class (or for each of its labels); class scores are the vote sums
 * divided by the total weight, so single-label rows sum to 1 and a multi-label score is the
 * weighted fraction of neighbours carrying the label. exp is shifted by the row's top
 * similarity — it cancels in the ratio and keeps small temperatures from overflowing.
 * One pass over the neighbour list serves every k (prefix sums).
 */
export function voteScores(nb: Neighbours, bankLabels: Int32Array, task: TaskInfo, ks: readonly number[], temperature: number): Map<number, Float32Array> {
  const multiLabel = task.type === 'multi-label';
  const C = task.labels.length;
  const width = scoreWidth(task);
  const out = new Map<number, Float32Array>();
  const order = [...new Set(ks)].sort((a, b) => a - b);
  for (const k of order) out.set(k, new Float32Array(nb.rows * width));
  const acc = new Float64Array(C);
  for (let i = 0; i < nb.rows; i++) {
    acc.fill(0);
    let total = 0;
    const base = i * nb.k;
    const top = nb.k > 0 ? nb.sims[base] : 0;
    let next = 0;
    for (let j = 0; j <= nb.k && next < order.length; j++) {
      // Emit every k whose prefix is complete (k beyond the bank size gets the whole bank).
      while (next < order.length && (order[next] === j || (j === nb.k && order[next] > nb.k))) {
        const dst = out.get(order[next])!;
        if (task.type === 'binary') dst[i] = total > 0 ? acc[1] / total : 0;
        else for (let c = 0; c < C; c++) dst[i * width + c] = total > 0 ? acc[c] / total : 0;
        next++;
      }
      if (j === nb.k) break;
      const w = Math.exp((nb.sims[base + j] - top) / temperature);
      const bi = nb.indices[base + j];
      total += w;
      if (multiLabel) {
        for (let l = 0; l < C; l++) if (bankLabels[bi * C + l]) acc[l] += w;
      } else {
        acc[bankLabels[bi]] += w;
      }
    }
  }
  return out;
}

/**
 * Weighted-cosine kNN: L2-normalised features, cosine similarity and top-k in ONNX Runtime,
 * votes weighted by exp(sim/T). Returns scores [nQuery × scoreWidth(task)] per requested k;
 * k larger than the bank uses the whole bank.
 */
export async function knnClassify(opts: KnnClassifyOptions): Promise<Map<number, Float32Array>> {
  const { train, query, task } = opts;
  const temperature = opts.temperature ?? DEFAULT_KNN_TEMPERATURE;
  checkKs(opts.k);
  checkTemperature(temperature);
  if (train.features.rows === 0) throw new MedprobeError('kNN bank is empty', { hint: 'the training split has no samples' });
  const kMax = Math.max(...opts.k);
  const nb = await cosineTopK(train.features, query, kMax);
  return voteScores(nb, train.labels, task, opts.k, temperature);
}

export interface KnnProtocolOptions extends ProtocolContext {
  train: LabelledFeatures;
  val: LabelledFeatures;
  test: LabelledFeatures;
  task: TaskInfo;
  kGrid?: readonly number[];
  temperature?: number;
  selectMetric?: SelectionMetric;
}

/**
 * k chosen on val by `selectMetric` (AUROC by default; ties → smaller k). The neighbour
 * bank is the TRAIN split both for selection and for test scoring, as in dinov2's kNN eval
 * that the reference study follows: val only picks k and is not added to the bank, so the
 * test scores come from exactly the classifier that was selected.
 */
export async function runKnnProtocol(opts: KnnProtocolOptions): Promise<ProtocolOutcome> {
  const { train, val, test, task } = opts;
  const kGrid = [...(opts.kGrid ?? DEFAULT_K_GRID)];
  const temperature = opts.temperature ?? DEFAULT_KNN_TEMPERATURE;
  const metric = opts.selectMetric ?? DEFAULT_SELECTION_METRIC;
  checkKs(kGrid);
  checkTemperature(temperature);
  if (new Set(kGrid).size !== kGrid.length) throw new MedprobeError(`kNN k grid has duplicates: ${kGrid.join(', ')}`, { hint: 'list each k once' });
  validateSplit(task, train, splitLabel(opts.dataset, 'train'), { needBothOutcomes: true });
  validateSplit(task, val, splitLabel(opts.dataset, 'val'), { needBothOutcomes: true });
  assertFiniteFeatures(test.features, test.ids, splitLabel(opts.dataset, 'test'));

  const valScores = await knnClassify({ train, query: val.features, task, k: kGrid, temperature });
  const sorted = [...kGrid].sort((a, b) => a - b);
  const candidates: Candidate[] = sorted.map((k) => ({
    params: { k, kEffective: Math.min(k, train.features.rows) },
    score: selectionScore(metric, task, val.labels, valScores.get(k)!),
  }));
  const best = bestCandidate(candidates, splitLabel(opts.dataset, 'val'), metric);
  const k = sorted[best];
  const testScores = (await knnClassify({ train, query: test.features, task, k: [k], temperature })).get(k)!;
  return {
    protocol: 'knn',
    config: { kGrid: sorted, temperature, similarity: 'cosine', weighting: 'exp(sim/T)', bank: 'train', selectMetric: metric },
    selection: { metric, split: 'val' },
    chosen: { ...candidates[best].params },
    candidates,
    testScores,
    scoreWidth: scoreWidth(task),
  };
}

/** The registry entry: weighted kNN on L2-normalised features, k chosen on val. */
export const knnProtocol = defineProtocol({
  name: 'knn',
  kind: 'classification',
  description: 'weighted kNN (cosine, exp(sim/T) votes) over the train bank, k chosen on val',
  options: KnnOptionsSchema,
  mainScore: 'auroc',
  notApplicable: () => null,
  featureSets: defaultFeatureOnly,
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
});
