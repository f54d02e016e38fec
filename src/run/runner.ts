import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { DatasetSource, SplitName, TaskInfo } from '../data/types.js';
import { labelWidth } from '../data/types.js';
import type { Backbone } from '../models/backbone.js';
import { FeatureCache } from '../features/cache.js';
import { ensureFeatures } from '../features/ensure.js';
import { aggregateSlices } from '../protocols/volume.js';
import { evaluateClassification } from '../metrics/evaluate-classification.js';
import { bootstrapClassification } from '../metrics/bootstrap.js';
import { RESULT_SCHEMA_VERSION, type Result } from '../results/schema.js';
import { resultPath, writeResult } from '../results/write.js';
import { readResultFile } from '../results/store.js';
import { hashObject } from '../util/hash.js';
import type { Matrix } from '../util/matrix.js';
import { defaultCacheDir } from '../util/paths.js';
import { runtimeVersions } from '../util/versions.js';
import type { LoadedSuite, Suite } from './suite.js';
import { datasetModality, openSuiteDataset } from './datasets.js';
import { openSuiteModel, type SuiteModel } from './models.js';
import { preparerFor } from './preprocessing.js';
import type { RecipeRef } from '../data/recipes/index.js';
import { PROTOCOLS, type LabelledFeatures, type ProtocolName } from './protocols.js';

export interface RunOptions {
  suite: LoadedSuite;
  cacheDir?: string;
  resultsDir?: string;
  /** Progress lines (not results) go here; default stderr. */
  log?: (line: string) => void;
}

export interface RunSummary {
  resultsDir: string;
  results: { file: string; result: Result; reused: boolean }[];
  /** Splits whose features were extracted in this run vs read from the cache. */
  extractedSplits: number;
  cachedSplits: number;
}

function resolveDirs(opts: RunOptions): { cacheDir: string; resultsDir: string } {
  const { suite, baseDir } = opts.suite;
  const cacheDir = opts.cacheDir ?? (suite.cacheDir ? path.resolve(baseDir, suite.cacheDir) : defaultCacheDir());
  const resultsDir = opts.resultsDir ?? path.resolve(baseDir, suite.resultsDir ?? 'results');
  return { cacheDir, resultsDir };
}

/** Everything that determines a unit's numbers. Same key → the stored result is reused. */
function unitKey(parts: Record<string, unknown>): string {
  return hashObject({ v: runtimeVersions().medprobe, ...parts });
}

async function existingResult(file: string, key: string): Promise<Result | undefined> {
  try {
    await fs.access(file);
  } catch {
    return undefined;
  }
  const r = await readResultFile(file);
  return r.provenance.unitKey === key ? r : undefined;
}

/** Offsets [0, n0, n0+n1, …] → the volume index of every slice row. */
function volumeIndexOf(offsets: Int32Array): Int32Array {
  const idx = new Int32Array(offsets[offsets.length - 1]);
  for (let v = 0; v + 1 < offsets.length; v++) idx.fill(v, offsets[v], offsets[v + 1]);
  return idx;
}

function toRows(data: Int32Array | Float32Array, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < data.length / width; i++) out.push(Array.from(data.subarray(i * width, (i + 1) * width)));
  return out;
}

/**
 * Run every (model × dataset × protocol) unit of a suite: features come from the cache
 * or are extracted once; each unit writes one result JSON. Units whose result already
 * exists with the same unit key are reused, so an interrupted run resumes where it stopped.
 */
export async function runSuite(opts: RunOptions): Promise<RunSummary> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const { suite } = opts.suite;
  const { cacheDir, resultsDir } = resolveDirs(opts);
  const cache = new FeatureCache(path.join(cacheDir, 'features'));
  const summary: RunSummary = { resultsDir, results: [], extractedSplits: 0, cachedSplits: 0 };
  const versions = runtimeVersions();

  const datasets: DatasetSource[] = [];
  for (const entry of suite.datasets) datasets.push(await openSuiteDataset(entry, { baseDir: opts.suite.baseDir, cacheDir }));

  for (const modelEntry of suite.models) {
    const model = await openSuiteModel(modelEntry, { baseDir: opts.suite.baseDir, cacheDir });
    try {
      for (let d = 0; d < datasets.length; d++) {
        await runModelOnDataset({ suite, model, dataset: datasets[d], entry: suite.datasets[d], cache, resultsDir, log, summary, versions });
      }
    } finally {
      await model.backbone.dispose();
    }
  }
  return summary;
}

interface UnitContext {
  suite: Suite;
  model: SuiteModel;
  dataset: DatasetSource;
  entry: Suite['datasets'][number];
  cache: FeatureCache;
  resultsDir: string;
  log: (line: string) => void;
  summary: RunSummary;
  versions: ReturnType<typeof runtimeVersions>;
}

async function runModelOnDataset(ctx: UnitContext): Promise<void> {
  const { suite, model, dataset, cache, log, summary } = ctx;
  const backbone: Backbone = model.backbone;
  const feature = model.features[0];
  const { spec, preprocessing, preprocessingHash } = preparerFor(backbone, dataset, ctx.entry.recipe as RecipeRef, ctx.entry.sliceAxis);
  const split: Partial<Record<SplitName, LabelledFeatures>> = {};
  const cacheKeys: Record<string, string> = {};
  const wallSeconds: Record<string, number> = {};

  for (const s of ['train', 'val', 'test'] as const) {
    const src = dataset.splits[s];
    if (!src) continue;
    const f = await ensureFeatures({
      cache,
      backbone,
      dataset,
      split: s,
      features: [feature],
      prepare: spec,
      preprocessingHash,
      batchSize: suite.batchSize,
    });
    if (f.cached) summary.cachedSplits++;
    else summary.extractedSplits++;
    cacheKeys[s] = f.keys[feature];
    wallSeconds[`extract_${s}`] = f.extractSeconds;
    let m: Matrix = f.matrices[feature];
    if (f.offsets) m = aggregateSlices(m, volumeIndexOf(f.offsets), ctx.entry.sliceAggregation, { volumeIds: src.ids });
    split[s] = { features: m, labels: src.labels, ids: src.ids };
    log(`${f.cached ? 'cached   ' : 'extracted'} ${backbone.card.name} · ${dataset.name}/${s}: ${m.rows}×${m.cols}${f.cached ? '' : ` in ${f.extractSeconds.toFixed(1)} s`}`);
  }
  if (!split.train || !split.test) throw new Error(`dataset ${dataset.name} needs train and test splits`);

  for (const name of Object.keys(suite.protocols) as ProtocolName[]) {
    const config = suite.protocols[name];
    if (!config) continue;
    const key = unitKey({
      model: backbone.fingerprint,
      inputSize: backbone.inputSize,
      feature,
      dataset: dataset.fingerprint,
      preprocessing: preprocessingHash,
      aggregation: dataset.dims === 3 ? ctx.entry.sliceAggregation : undefined,
      protocol: name,
      config,
      seed: suite.seed,
      selection: suite.selectionMetric,
      bootstrap: suite.bootstrap,
    });
    const file = resultPath(ctx.resultsDir, model.name, dataset.name, name);
    const prior = await existingResult(file, key);
    if (prior) {
      summary.results.push({ file, result: prior, reused: true });
      log(`reused    ${model.name} · ${dataset.name} · ${name} (${path.relative(process.cwd(), file)})`);
      continue;
    }
    const t0 = performance.now();
    const out = await PROTOCOLS[name]({
      task: dataset.task,
      dataset: dataset.name,
      train: split.train,
      val: split.val,
      test: split.test,
      config: config as never,
      seed: suite.seed,
      selectionMetric: suite.selectionMetric,
    });
    const protocolSeconds = (performance.now() - t0) / 1000;
    const result = buildResult({ ctx, name, config, out, feature, preprocessing, cacheKeys, wallSeconds: { ...wallSeconds, protocol: protocolSeconds }, key, test: split.test });
    const written = await writeResult(ctx.resultsDir, result);
    summary.results.push({ file: written, result, reused: false });
    const auroc = result.metrics.auroc;
    log(`done      ${model.name} · ${dataset.name} · ${name}: test AUROC ${auroc == null ? '—' : auroc.toFixed(4)}, ACC ${result.metrics.accuracy?.toFixed(4)} (${protocolSeconds.toFixed(1)} s)`);
  }
}

function buildResult(a: {
  ctx: UnitContext;
  name: string;
  config: unknown;
  out: Awaited<ReturnType<(typeof PROTOCOLS)[ProtocolName]>>;
  feature: string;
  preprocessing: Record<string, unknown>;
  cacheKeys: Record<string, string>;
  wallSeconds: Record<string, number>;
  key: string;
  test: LabelledFeatures;
}): Result {
  const { ctx, out, test } = a;
  const { dataset, model, suite } = ctx;
  const task: TaskInfo = dataset.task;
  const lw = labelWidth(task);
  const metrics = evaluateClassification(task, test.labels, out.testScores);
  // Percentile bootstrap over test samples, stratified by class for binary tasks; all metrics share the replicates.
  const ci =
    suite.bootstrap.resamples > 0
      ? bootstrapClassification(task, test.labels, out.testScores, {
          resamples: suite.bootstrap.resamples,
          level: suite.bootstrap.level,
          seed: suite.seed,
          stratified: task.type === 'binary',
        })
      : undefined;
  const testSplit = dataset.splits.test!;
  return {
    schema: RESULT_SCHEMA_VERSION,
    model: { name: model.name, fingerprint: model.backbone.fingerprint, inputSize: model.backbone.inputSize, feature: a.feature, runtime: model.backbone.runtime },
    dataset: {
      name: dataset.name,
      fingerprint: dataset.fingerprint,
      task,
      dims: dataset.dims,
      modality: datasetModality(dataset),
      preprocessing: a.preprocessing,
      splitSizes: Object.fromEntries(Object.entries(dataset.splits).map(([k, v]) => [k, v!.size])),
    },
    protocol: { name: a.name, config: { ...(a.config as Record<string, unknown>), ...out.config } },
    selection: { metric: ctx.suite.selectionMetric, split: 'val', chosen: out.chosen, candidates: out.candidates },
    metrics,
    ...(ci ? { ci } : {}),
    ...(out.extra ? { extra: out.extra } : {}),
    predictions: { split: 'test', ids: [...testSplit.ids], labels: toRows(test.labels, lw), scores: toRows(out.testScores, out.scoreWidth) },
    provenance: {
      unitKey: a.key,
      medprobe: ctx.versions.medprobe,
      node: ctx.versions.node,
      runtime: { ...ctx.versions.runtime, [model.backbone.runtime.name]: model.backbone.runtime.version },
      seed: suite.seed,
      files: { ...model.files, ...Object.fromEntries(dataset.files.map((f) => [f, dataset.fingerprint])) },
      featureCacheKeys: a.cacheKeys,
      startedAt: new Date().toISOString(),
      wallSeconds: a.wallSeconds,
      host: os.hostname(),
    },
  };
}
