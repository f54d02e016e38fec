import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DatasetSource, SplitName } from '../data/types.js';
import { sliceCount } from '../data/nifti/slice.js';
import { FeatureCache, featureKey } from '../features/cache.js';
import { hostId, lookupThroughput, threadsOf, type ThroughputSource } from '../models/throughput.js';
import { estimateEval, readEvalHistory, type EvalEstimate } from './history.js';
import { formatDuration } from '../util/progress.js';
import { computeKeyParts } from '../models/backbone.js';
import type { SuiteModel } from './models.js';
import { readResultFile } from '../results/store.js';
import { resultPath } from '../results/write.js';
import { MedprobeError } from '../util/errors.js';
import { hashObject } from '../util/hash.js';
import { runtimeVersions } from '../util/versions.js';
import type { Preparer } from './preprocessing.js';
import { kindMismatch, protocolModule, type ProtocolName } from '../protocols/registry.js';
import { mapsFor, segCardOf, segFeatureKey, segLayout } from './seg-units.js';
import type { RunLocation, RunResources } from './resources.js';
import { chooseBatch, describeBatch, type BatchChoice } from '../models/batch-memory.js';
import type { Backbone } from '../models/backbone.js';
import { memoryBudget, type MemoryBudget } from '../util/memory-budget.js';

/**
 * A run is a plan of units, executed the same way in-process (local-runner.ts) or by queue
 * workers (queue/): extraction shards (model × dataset × split × slice of samples), whose
 * outputs are merged into the normal feature-cache entry once every shard of a split is done,
 * and evaluation units (model × dataset × protocol) that need those entries. Every unit key is a
 * content hash of what determines its output, so a unit that is already done is recognised on
 * disk and never recomputed, whoever ran it.
 */

/** Samples per extraction shard by default: large enough that shard overhead is noise, small enough to resume quickly. */
export const DEFAULT_SHARD_SIZE = 2048;

/** Segmentation extraction batch for models without a memory estimate (its default before batches were chosen). */
const SEG_DEFAULT_BATCH = 16;

export interface ShardRange {
  index: number;
  count: number;
  /** Sample (2D image or 3D volume) range [start, end) of the split. */
  start: number;
  end: number;
}

export interface ExtractUnit {
  kind: 'extract';
  key: string;
  model: number;
  dataset: number;
  modelName: string;
  datasetName: string;
  split: SplitName;
  shard: ShardRange;
  /** Images per forward pass (the model's planned batch). */
  batchSize: number;
  /** Samples in the whole split and per shard: every shard's range follows from these (see shardRanges). */
  splitSize: number;
  shardStep: number;
  /** Feature name → key of the split's (merged) feature-cache entry. */
  featureKeys: Record<string, string>;
  /** Feature name → key of this shard's own entry (equal to featureKeys for a one-shard split). */
  shardKeys: Record<string, string>;
  /** Model inputs this shard runs (2D: images; 3D: volumes × slices of the first volume, an estimate). */
  images: number;
  /** Its output (the merged entry, or this shard's entry) was on disk when planned. */
  cached: boolean;
}

export interface EvalUnit {
  kind: 'eval';
  key: string;
  model: number;
  dataset: number;
  modelName: string;
  datasetName: string;
  protocol: ProtocolName;
  resultFile: string;
  /** Split → feature-cache key of the protocol's feature (the model's first); empty for protocols that read images. */
  needs: Partial<Record<SplitName, string>>;
  /** Extraction units (not cached when planned) whose output this unit reads. */
  dependsOn: string[];
  /** A result with this unit key was on disk when planned. */
  done: boolean;
  /** Samples over all of the dataset's splits (what an evaluation time scales with). */
  samples: number;
  /** Expected seconds from this host's evaluation history; absent when there is none. */
  estimate?: EvalEstimate;
  /** The extraction batch of the features it reads, for provenance (protocols that read images have none). */
  batch?: ProvenanceBatch;
}

/** A batch choice as a result's provenance records it: no budget (it is this machine's, now). */
export interface ProvenanceBatch {
  size: number;
  source: BatchChoice['source'];
  expectedPeakBytes?: number;
  overBudget: boolean;
}

/** A model's planned extraction batch and how its expected peak was estimated. */
export interface PlannedBatch extends BatchChoice {
  basis?: string;
}

export type PlanUnit = ExtractUnit | EvalUnit;

export interface PlannedModel {
  index: number;
  name: string;
  fingerprint: string;
  inputSize: number;
  features: string[];
  /** Measured images/s on this host (an earlier run's extraction or `medprobe models bench`), when known. */
  imagesPerSecond?: number;
  throughputSource?: ThroughputSource;
  /** Extraction batch of its classification features, and of its segmentation maps where the suite has segmentation datasets. */
  batch: PlannedBatch;
  segBatch?: PlannedBatch;
}

export interface RunPlan {
  location: RunLocation;
  /** The memory budget the batches were chosen against. */
  memoryBudget: MemoryBudget;
  shardSize: number;
  models: PlannedModel[];
  extract: ExtractUnit[];
  eval: EvalUnit[];
  /** Protocols that do not apply to a dataset's task, with the reason. */
  skipped: { modelName: string; datasetName: string; protocol: string; reason: string }[];
}

export interface PlanOptions {
  /** Samples per extraction shard (2D: rounded up to a multiple of the batch size). */
  shardSize?: number;
  /**
   * Read every case of a segmentation dataset that has splits to extract, and refuse bad data
   * before any extraction (default true; a dry run, which reads only what the plan needs, sets false).
   */
  checkSegData?: boolean;
}

/** The protocol reads cached frozen features (not images: fine-tuning protocols train on the images themselves). */
export function readsFeatures(name: ProtocolName): boolean {
  const m = protocolModule(name);
  return m.kind !== 'classification' || m.inputs !== 'images';
}

/** Everything that determines an evaluation's numbers. Same key → the stored result is reused. */
export function evalUnitKey(parts: Record<string, unknown>): string {
  return hashObject({ v: runtimeVersions().medprobe, ...parts });
}

/** Feature-cache key of one split's feature (3D splits also name the slice axis). */
export function splitFeatureKey(model: SuiteModel, dataset: DatasetSource, preparer: Preparer, split: SplitName, feature: string): string {
  return featureKey({
    modelFingerprint: model.backbone.fingerprint,
    inputSize: model.backbone.inputSize,
    datasetFingerprint: dataset.fingerprint,
    split: dataset.dims === 3 ? `${split}/${preparer.spec.axis}` : split,
    preprocessing: preparer.preprocessingHash,
    feature,
    ...computeKeyParts(model.backbone),
  });
}

/** A shard's own cache entry; a one-shard split writes the final entry directly. */
export function shardEntryKey(splitKey: string, shard: ShardRange): string {
  return shard.count === 1 ? splitKey : hashObject({ shardOf: splitKey, ...shard });
}

/**
 * Shard boundaries of `size` samples. 2D shards are whole multiples of the batch size, so every
 * shard runs exactly the batches an unsharded extraction runs and the merged matrix is
 * bit-identical to it; 3D shards split between volumes, which are batched on their own anyway.
 */
export function shardStep(shardSize: number, batchSize: number, dims: 2 | 3): number {
  return dims === 3 ? Math.max(1, shardSize) : Math.max(1, Math.ceil(shardSize / batchSize)) * batchSize;
}

/** Shards of `size` samples, `step` each (the last one shorter); an empty split is one empty shard. */
export function shardRanges(size: number, step: number): ShardRange[] {
  const count = Math.max(1, Math.ceil(size / step));
  return Array.from({ length: count }, (_, index) => ({ index, count, start: index * step, end: Math.min(size, (index + 1) * step) }));
}

/** A valid result with this unit key is at `file`. */
export async function resultDone(file: string, key: string): Promise<boolean> {
  try {
    await fs.access(file);
  } catch {
    return false;
  }
  try {
    return (await readResultFile(file)).provenance.unitKey === key;
  } catch {
    return false; // unreadable: it is rewritten by the unit
  }
}

async function slicesPerVolume(dataset: DatasetSource, split: SplitName, preparer: Preparer): Promise<number> {
  const src = dataset.splits[split];
  if (!src || src.size === 0) return 0;
  // The grid, where the source knows it, spares decoding a volume (for a lazily opened MedMNIST 3D split: its whole image array).
  let grid = src.grid;
  if (!grid) {
    const first = (await src.get(0)).image;
    if (first.kind !== '3d') return 1;
    grid = first;
  }
  return preparer.spec.axis === '2.5d' ? 3 : sliceCount(grid, preparer.spec.axis);
}

export async function buildPlan(res: RunResources, opts: PlanOptions = {}): Promise<RunPlan> {
  const { suite, cacheDir, resultsDir } = res.location;
  const cache = new FeatureCache(path.join(cacheDir, 'features'));
  const shardSize = opts.shardSize ?? DEFAULT_SHARD_SIZE;
  const budget = memoryBudget();
  const plan: RunPlan = { location: res.location, memoryBudget: budget, shardSize, models: [], extract: [], eval: [], skipped: [] };
  const host = hostId();
  const history = await readEvalHistory(cacheDir);

  for (let mi = 0; mi < suite.models.length; mi++) {
    const model = await res.model(mi);
    const backbone = model.backbone;
    const measured = await lookupThroughput(cacheDir, { fingerprint: backbone.fingerprint, inputSize: backbone.inputSize, threads: threadsOf(backbone), host, ...computeKeyParts(backbone) });
    const batch = planBatch(backbone, model.features, suite.batchSize, budget);
    const batchSize = batch.batchSize;
    plan.models.push({ index: mi, name: model.name, fingerprint: backbone.fingerprint, inputSize: backbone.inputSize, features: model.features, imagesPerSecond: measured?.imagesPerSecond, throughputSource: measured ? (measured.source ?? 'bench') : undefined, batch });
    const feature = model.features[0];

    for (let di = 0; di < suite.datasets.length; di++) {
      if (suite.datasets[di].source === 'segmentation') {
        await planSegmentation(res, plan, mi, di, cache, opts.checkSegData ?? true, (key, protocol, samples) => estimateEval(history, { key, protocol, modelFingerprint: backbone.fingerprint, samples }, host));
        continue;
      }
      const dataset = await res.dataset(di);
      const entry = suite.datasets[di];
      const preparer = await res.preparer(mi, di);
      if (!dataset.splits.train || !dataset.splits.test) {
        throw new MedprobeError(`dataset ${dataset.name} needs train and test splits`, { file: dataset.files[0], hint: 'give a dataset with train/val/test splits' });
      }
      // Protocols that apply here; only those that read frozen features need extraction (fine-tuning reads images).
      const applicable: ProtocolName[] = [];
      for (const name of Object.keys(suite.protocols) as ProtocolName[]) {
        if (!suite.protocols[name]) continue;
        const reason = kindMismatch(name, 'classification') ?? protocolModule(name).notApplicable(dataset.task);
        if (reason) plan.skipped.push({ modelName: model.name, datasetName: dataset.name, protocol: name, reason });
        else applicable.push(name);
      }
      const extracts = applicable.some((name) => readsFeatures(name));
      const needs: Partial<Record<SplitName, string>> = {};
      const pending: string[] = [];
      for (const split of ['train', 'val', 'test'] as const) {
        const src = dataset.splits[split];
        if (!src || !extracts) continue;
        const featureKeys = Object.fromEntries(model.features.map((f) => [f, splitFeatureKey(model, dataset, preparer, split, f)]));
        needs[split] = featureKeys[feature];
        const mergedCached = (await Promise.all(Object.values(featureKeys).map((k) => cache.has(k)))).every(Boolean);
        const perVolume = dataset.dims === 3 && !mergedCached ? await slicesPerVolume(dataset, split, preparer) : 1;
        const step = shardStep(shardSize, batchSize, dataset.dims);
        for (const shard of shardRanges(src.size, step)) {
          const shardKeys = Object.fromEntries(Object.entries(featureKeys).map(([f, k]) => [f, shardEntryKey(k, shard)]));
          const cached = mergedCached || (await Promise.all(Object.values(shardKeys).map((k) => cache.has(k)))).every(Boolean);
          const key = hashObject({ unit: 'extract', featureKeys, shard, batchSize });
          plan.extract.push({ kind: 'extract', key, model: mi, dataset: di, modelName: model.name, datasetName: dataset.name, split, shard, batchSize, splitSize: src.size, shardStep: step, featureKeys, shardKeys, images: (shard.end - shard.start) * perVolume, cached });
          if (!cached) pending.push(key);
        }
      }

      const splits = (['train', 'val', 'test'] as const).filter((s) => dataset.splits[s]);
      for (const name of applicable) {
        const config = suite.protocols[name];
        const frozen = readsFeatures(name);
        // The exact feature-cache entries the protocol reads (model, input size, data, split, slice
        // axis, preprocessing, feature): any change to how features are made invalidates the result.
        // A fine-tuning protocol reads images, and the same key parts name its model, data and preprocessing.
        const sets = frozen ? protocolModule(name).featureSets(config, backbone.card, feature) : { images: feature };
        const featureKeys = Object.fromEntries(
          splits.map((s) => [s, Object.fromEntries(Object.entries(sets).map(([set, f]) => [set, splitFeatureKey(model, dataset, preparer, s, f)]))]),
        );
        const key = evalUnitKey({
          [frozen ? 'features' : 'inputs']: featureKeys,
          aggregation: dataset.dims === 3 ? entry.sliceAggregation : undefined,
          protocol: name,
          config,
          seed: suite.seed,
          selection: suite.selectionMetric,
          bootstrap: suite.bootstrap,
        });
        const resultFile = resultPath(resultsDir, model.name, dataset.name, name);
        const done = await resultDone(resultFile, key);
        const samples = Object.values(dataset.splits).reduce((a, s) => a + (s?.size ?? 0), 0);
        const estimate = estimateEval(history, { key, protocol: name, modelFingerprint: backbone.fingerprint, samples }, host);
        plan.eval.push({ kind: 'eval', key, model: mi, dataset: di, modelName: model.name, datasetName: dataset.name, protocol: name, resultFile, needs: frozen ? needs : {}, dependsOn: frozen ? pending : [], done, samples, ...(estimate ? { estimate } : {}), ...(frozen ? { batch: provenanceBatch(batch) } : {}) });
      }
    }
  }
  refuseSharedResultFiles(plan);
  return plan;
}

/** A backbone's extraction batch for these features (or maps): the suite's, else from its memory profile and the budget. */
function planBatch(backbone: Backbone, features: readonly string[], given: number | undefined, budget: MemoryBudget, fallback?: number): PlannedBatch {
  const profile = backbone.memoryProfile?.(features);
  return { ...chooseBatch(profile, { given, budget, fallback }), ...(profile ? { basis: profile.basis } : {}) };
}

export function provenanceBatch(b: BatchChoice): ProvenanceBatch {
  return { size: b.batchSize, source: b.source, ...(b.expectedPeakBytes !== undefined ? { expectedPeakBytes: b.expectedPeakBytes } : {}), overBudget: b.overBudget };
}

/**
 * Two units must never write one result file: names become folder names through `safeSegment`,
 * so "net v1" and "net_v1" (or "Net" and "net" on a case-insensitive disk) would overwrite each
 * other and the leaderboard would show one model. The run stops before any work, naming both.
 */
function refuseSharedResultFiles(plan: RunPlan): void {
  const owner = new Map<string, RunPlan['eval'][number]>();
  for (const u of plan.eval) {
    const key = u.resultFile.toLowerCase();
    const other = owner.get(key);
    if (!other) {
      owner.set(key, u);
      continue;
    }
    const what = (x: typeof u) => `model '${x.modelName}', dataset '${x.datasetName}', protocol '${x.protocol}'`;
    throw new MedprobeError(`two runs would write the same result file ${u.resultFile}: ${what(other)} and ${what(u)}`, {
      file: u.resultFile,
      hint: 'give them names that differ in more than case, spaces or punctuation (names become folder names; characters outside A-Z a-z 0-9 . _ @ + - turn into _)',
    });
  }
}

/** A segmentation dataset: one extraction unit per split (every map the seg protocols read), one eval unit per seg protocol. */
async function planSegmentation(res: RunResources, plan: RunPlan, mi: number, di: number, cache: FeatureCache, checkData: boolean, estimate: (key: string, protocol: string, samples: number) => EvalEstimate | undefined): Promise<void> {
  const { suite, resultsDir } = res.location;
  const model = await res.model(mi);
  const seg = await res.segDataset(di);
  const names = (Object.keys(suite.protocols) as ProtocolName[]).filter((n) => suite.protocols[n]);
  const segNames: ProtocolName[] = [];
  for (const name of names) {
    const reason = kindMismatch(name, 'segmentation');
    if (reason) plan.skipped.push({ modelName: model.name, datasetName: seg.name, protocol: name, reason });
    else segNames.push(name);
  }
  if (segNames.length === 0) return;
  const card = await segCardOf(res, mi);
  const layout = segLayout(seg, model);
  const maps = [...new Set(segNames.flatMap((n) => mapsFor(n, suite.protocols[n], card)))];
  // Maps are read through a tapped copy of the graph; its memory is the backbone's plus the exposed blocks (16 where there is no estimate, as before).
  const batch = planBatch(model.backbone, maps, suite.batchSize, plan.memoryBudget, SEG_DEFAULT_BATCH);
  const planned = plan.models.find((m) => m.index === mi);
  if (planned) planned.segBatch = batch;
  const pending: string[] = [];
  const needs: Partial<Record<SplitName, string>> = {};
  for (const split of ['train', 'val', 'test'] as const) {
    const size = seg.splits[split].length;
    if (size === 0) continue;
    const featureKeys = Object.fromEntries(maps.map((m) => [`map:${m}`, segFeatureKey(model, seg, layout, split, m)]));
    needs[split] = Object.values(featureKeys)[0];
    const cached = (await Promise.all(Object.values(featureKeys).map((k) => cache.has(k)))).every(Boolean);
    const shard = { index: 0, count: 1, start: 0, end: size };
    const key = hashObject({ unit: 'seg-extract', featureKeys });
    plan.extract.push({ kind: 'extract', key, model: mi, dataset: di, modelName: model.name, datasetName: seg.name, split, shard, batchSize: batch.batchSize, splitSize: size, shardStep: size, featureKeys, shardKeys: featureKeys, images: size, cached });
    if (!cached) pending.push(key);
  }
  // Bad data stops the run here, in one line, rather than after the splits before it were embedded.
  if (pending.length && checkData) await res.checkedSegDataset(di);
  for (const name of segNames) {
    const config = suite.protocols[name];
    const key = evalUnitKey({ segmentation: seg.fingerprint, model: model.backbone.fingerprint, ...computeKeyParts(model.backbone), layout, maps: mapsFor(name, config, card), protocol: name, config, seed: suite.seed, bootstrap: suite.bootstrap });
    const resultFile = resultPath(resultsDir, model.name, seg.name, name);
    const samples = seg.splits.train.length + seg.splits.val.length + seg.splits.test.length;
    const est = estimate(key, name, samples);
    plan.eval.push({ kind: 'eval', key, model: mi, dataset: di, modelName: model.name, datasetName: seg.name, protocol: name, resultFile, needs, dependsOn: pending, done: await resultDone(resultFile, key), samples, ...(est ? { estimate: est } : {}), batch: provenanceBatch(batch) });
  }
}

/**
 * Expected seconds of what is left, from this host's history: extraction from measured
 * throughput (earlier runs or `models bench`), evaluation from earlier evaluation times.
 * Models and units without history are listed instead of guessed.
 */
export function estimateSeconds(plan: RunPlan): { seconds: number; unknownModels: string[]; evalSeconds: number; unknownEvals: number } {
  let seconds = 0;
  const unknown = new Set<string>();
  for (const u of plan.extract) {
    if (u.cached) continue;
    const ips = plan.models[u.model].imagesPerSecond;
    if (ips) seconds += u.images / ips;
    else unknown.add(u.modelName);
  }
  let evalSeconds = 0;
  let unknownEvals = 0;
  for (const u of plan.eval) {
    if (u.done) continue;
    if (u.estimate) evalSeconds += u.estimate.seconds;
    else unknownEvals++;
  }
  return { seconds, unknownModels: [...unknown], evalSeconds, unknownEvals };
}

/** What `medprobe run --dry-run` prints: the units, what is cached, what is left and how long it should take. */
export function describePlan(plan: RunPlan): string[] {
  const lines: string[] = [];
  const ex = plan.extract;
  const todoEx = ex.filter((u) => !u.cached);
  const todoEval = plan.eval.filter((u) => !u.done);
  lines.push(`plan: ${plan.location.suite.name} · ${plan.models.length} model(s) × ${plan.location.suite.datasets.length} dataset(s)`);
  lines.push(`cache ${plan.location.cacheDir} · results ${plan.location.resultsDir} · shard size ${plan.shardSize}`);
  for (const m of plan.models) {
    lines.push(`  ${m.name}: ${describeBatch(m.batch, plan.memoryBudget.source, m.batch.basis)}`);
    if (m.segBatch) lines.push(`  ${m.name} (segmentation maps): ${describeBatch(m.segBatch, plan.memoryBudget.source, m.segBatch.basis)}`);
  }
  lines.push(`extraction: ${ex.length} shard unit(s), ${ex.length - todoEx.length} cached, ${todoEx.length} to compute (${todoEx.reduce((a, u) => a + u.images, 0)} model inputs)`);
  const splits = new Map<string, ExtractUnit[]>();
  for (const u of ex) {
    const k = `${u.modelName} · ${u.datasetName}/${u.split}`;
    splits.set(k, [...(splits.get(k) ?? []), u]);
  }
  for (const [k, us] of splits) {
    const left = us.filter((u) => !u.cached);
    const n = us.reduce((a, u) => a + u.shard.end - u.shard.start, 0);
    lines.push(`  ${left.length === 0 ? 'cached ' : 'compute'} ${k}: ${n} samples, ${us.length} shard(s)${left.length && left.length < us.length ? `, ${left.length} left` : ''}`);
  }
  lines.push(`evaluation: ${plan.eval.length} unit(s), ${plan.eval.length - todoEval.length} done, ${todoEval.length} to run`);
  for (const u of plan.eval) lines.push(`  ${u.done ? 'done   ' : 'run    '} ${u.modelName} · ${u.datasetName} · ${u.protocol}  [${u.key.slice(0, 12)}]`);
  for (const u of plan.skipped) lines.push(`  skip    ${u.modelName} · ${u.datasetName} · ${u.protocol}: ${u.reason}`);
  lines.push(...describeEstimate(plan));
  return lines;
}

/** The dry run's ETA lines: extraction, evaluation and total, each from history or "no history". */
export function describeEstimate(plan: RunPlan): string[] {
  const est = estimateSeconds(plan);
  const todoEx = plan.extract.filter((u) => !u.cached);
  const todoEval = plan.eval.filter((u) => !u.done);
  const sources = [...new Set(todoEx.map((u) => plan.models[u.model].throughputSource).filter(Boolean))].map((s) => (s === 'run' ? 'earlier runs' : 'medprobe models bench'));
  const lines: string[] = [];
  if (todoEx.length === 0) lines.push('estimated extraction time: 0 s (all features cached)');
  else if (est.unknownModels.length) lines.push(`estimated extraction time: no history for ${est.unknownModels.join(', ')} on this host (known after one run, or run medprobe models bench)`);
  else lines.push(`estimated extraction time: ${formatDuration(est.seconds)} (throughput measured by ${sources.join(' and ')} on this host)`);
  const scaled = todoEval.filter((u) => u.estimate?.basis === 'scaled').length;
  if (todoEval.length === 0) lines.push('estimated evaluation time: 0 s (all results done)');
  else if (est.unknownEvals === todoEval.length) lines.push(`estimated evaluation time: no history for these protocols on this host`);
  else
    lines.push(
      `estimated evaluation time: ${formatDuration(est.evalSeconds)} (earlier evaluations on this host${scaled ? `; ${scaled} unit(s) scaled by sample count from the same protocol` : ''}${est.unknownEvals ? `; ${est.unknownEvals} unit(s) with no history not counted` : ''})`,
    );
  const partial = est.unknownModels.length > 0 || est.unknownEvals > 0;
  const total = (est.unknownModels.length ? 0 : est.seconds) + est.evalSeconds;
  lines.push(partial && total === 0 ? 'estimated run time: unknown (no history)' : `estimated run time: ${partial ? 'at least ' : ''}${formatDuration(total)}`);
  return lines;
}
