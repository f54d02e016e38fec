import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SplitName, SplitSource, TaskInfo } from '../data/types.js';
import { labelWidth } from '../data/types.js';
import { FeatureCache, idsHash } from '../features/cache.js';
import { extractFeatures } from '../features/extract.js';
import { aggregateSlices } from '../protocols/volume.js';
import { evaluateClassification } from '../metrics/evaluate-classification.js';
import { bootstrapClassification } from '../metrics/bootstrap.js';
import type { Result } from '../results/schema.js';
import { resultEnvelope } from '../results/envelope.js';
import { writeResult } from '../results/write.js';
import { MedprobeError } from '../util/errors.js';
import type { Matrix } from '../util/matrix.js';
import { createProgress } from '../util/progress.js';
import { runtimeVersions } from '../util/versions.js';
import { datasetModality } from './datasets.js';
import { shardEntryKey, shardRanges, splitFeatureKey, type EvalUnit, type ExtractUnit } from './plan.js';
import { protocolModule } from '../protocols/registry.js';
import type { ImageInput, ProtocolOutput } from '../protocols/protocol.js';
import { createPreparer } from '../features/prepare.js';
import { defaultCompute, sessionOptions } from '../models/onnx/session.js';
import { executeSegEval, executeSegExtract } from './seg-units.js';
import type { LabelledFeatures } from '../protocols/types.js';
import type { RunResources } from './resources.js';
import type { RunProgress } from './run-progress.js';
import { recordEvalTime } from './history.js';
import { hostId, recordThroughput, threadsOf } from '../models/throughput.js';
import { computeKeyParts } from '../models/backbone.js';

/**
 * Executing one plan unit, the same code whether the local runner or a queue worker calls it.
 * Every output goes through the feature cache's temp-dir + rename or an atomic result write,
 * so a process killed inside a unit leaves nothing a rerun could mistake for finished work.
 */

function featureCacheOf(res: RunResources): FeatureCache {
  return new FeatureCache(path.join(res.location.cacheDir, 'features'));
}

function splitView(src: SplitSource, start: number, end: number, width: number): SplitSource {
  return {
    size: end - start,
    labels: src.labels.subarray(start * width, end * width),
    ids: src.ids.slice(start, end),
    patientIds: src.patientIds?.slice(start, end),
    get: (i) => src.get(start + i),
  };
}

async function allPresent(cache: FeatureCache, keys: readonly string[]): Promise<boolean> {
  return (await Promise.all(keys.map((k) => cache.has(k)))).every(Boolean);
}

/**
 * A worker whose copy of the model or data differs from the planner's would compute other
 * features under the planner's keys; refuse instead.
 */
function checkKeys(unit: ExtractUnit, actual: Record<string, string>, where: string): void {
  for (const [f, k] of Object.entries(unit.featureKeys)) {
    if (actual[f] !== k) {
      throw new MedprobeError(`${where} sees a different model, dataset or preprocessing than the run's planner for ${unit.modelName} · ${unit.datasetName}/${unit.split}`, {
        hint: 'every worker must mount the same model and data files at the same paths as the coordinator (docs/scale-out.md)',
      });
    }
  }
}

export interface ExtractOutcome {
  /** Nothing was computed: the shard (or the merged split) was already in the cache. */
  cached: boolean;
  /** This call wrote the split's merged entry. */
  merged: boolean;
  seconds: number;
}

/** Embed one shard of a split into the cache; when it completes the split, merge the shards. */
export async function executeExtract(unit: ExtractUnit, res: RunResources, opts: { run?: RunProgress } = {}): Promise<ExtractOutcome> {
  if (res.location.suite.datasets[unit.dataset].source === 'segmentation') return executeSegExtract(unit, res, opts.run);
  const cache = featureCacheOf(res);
  const featureKeys = Object.values(unit.featureKeys);
  if (await allPresent(cache, featureKeys)) return { cached: true, merged: false, seconds: 0 };
  const model = await res.model(unit.model);
  const dataset = await res.dataset(unit.dataset);
  const preparer = await res.preparer(unit.model, unit.dataset);
  checkKeys(unit, Object.fromEntries(model.features.map((f) => [f, splitFeatureKey(model, dataset, preparer, unit.split, f)])), `worker ${os.hostname()}:${process.pid}`);
  const src = dataset.splits[unit.split]!;
  const { start, end } = unit.shard;
  const features = Object.keys(unit.featureKeys);
  let seconds = 0;
  let cached = true;
  const shardKeys = Object.values(unit.shardKeys);
  const label = `${model.name} · ${dataset.name}/${unit.split}${unit.shard.count > 1 ? ` shard ${unit.shard.index + 1}/${unit.shard.count}` : ''}`;
  // Locked, so a second run or worker on this cache waits for this shard instead of extracting it again.
  if (!(await allPresent(cache, shardKeys))) await cache.withLock(shardKeys[0], async () => {
    if (await allPresent(cache, shardKeys)) return; // computed by the holder we waited for
    cached = false;
    const t0 = performance.now();
    const run = opts.run;
    const bar = createProgress(label, end - start, dataset.dims === 3 ? 'vol' : 'img', run ? { suffix: () => run.describe() } : {});
    // The plan counts model inputs (3D: slices), the bar samples.
    const inputsPerSample = unit.images / (end - start);
    const progress = run ? { tick: (n = 1) => (run.extracted(unit.model, n * inputsPerSample), bar.tick(n)), stop: () => bar.stop() } : bar;
    let out;
    try {
      run?.shardStarted(unit.model);
      out = await extractFeatures({ backbone: model.backbone, split: splitView(src, start, end, labelWidth(dataset.task)), features, prepare: preparer.spec, batchSize: unit.batchSize, progress });
    } finally {
      progress.stop();
      run?.shardStopped(unit.model);
    }
    seconds = (performance.now() - t0) / 1000;
    await recordRunThroughput(res, model, out.matrices[features[0]].rows, seconds, unit.batchSize);
    const ids = idsHash(unit.shard.count === 1 ? src.ids : src.ids.slice(start, end));
    for (const f of features) {
      await cache.write(
        unit.shardKeys[f],
        out.matrices[f],
        {
          modelFingerprint: model.backbone.fingerprint,
          inputSize: model.backbone.inputSize,
          datasetFingerprint: dataset.fingerprint,
          split: unit.split,
          preprocessing: preparer.preprocessingHash,
          feature: f,
          idsHash: ids,
          createdAt: new Date().toISOString(),
          extractSeconds: seconds,
          medprobe: runtimeVersions().medprobe,
          ...(unit.shard.count > 1 ? { shardOf: unit.featureKeys[f] } : {}),
        },
        out.offsets,
      );
    }
  }, `features of ${label}`);
  const merged = unit.shard.count > 1 ? await mergeShards(res, unit) : false;
  return { cached, merged, seconds };
}

/**
 * This extraction's speed, stored where `run --dry-run` looks for throughput, so the next plan of
 * this model on this host has an ETA. It includes reading and preprocessing, which `models bench`
 * leaves out, so it is the better predictor of a run and replaces a bench figure.
 */
async function recordRunThroughput(res: RunResources, model: Awaited<ReturnType<RunResources['model']>>, inputs: number, seconds: number, batchSize: number): Promise<void> {
  if (inputs === 0 || seconds <= 0) return;
  const backbone = model.backbone;
  await recordThroughput(res.location.cacheDir, {
    fingerprint: backbone.fingerprint,
    inputSize: backbone.inputSize,
    threads: threadsOf(backbone),
    host: hostId(),
    ...computeKeyParts(backbone),
    model: model.name,
    source: 'run',
    runtime: `${backbone.runtime.name} ${backbone.runtime.version}`,
    imagesPerSecond: inputs / seconds,
    batchSize,
    batches: Math.ceil(inputs / batchSize),
    measuredAt: new Date().toISOString(),
  });
}

/**
 * Concatenate every shard of a split, in order, into the split's feature entry (rows and, for
 * 3D, volume offsets), then drop the shard entries. Idempotent and safe to race: concurrent
 * mergers write identical bytes and the cache keeps whichever rename lands first. Returns false
 * when the entry already existed or a shard is still missing.
 */
export async function mergeShards(res: RunResources, unit: ExtractUnit): Promise<boolean> {
  const cache = featureCacheOf(res);
  if (await allPresent(cache, Object.values(unit.featureKeys))) return false;
  const splitKeys = Object.values(unit.featureKeys);
  return cache.withLock(splitKeys[0], () => mergeShardsLocked(res, unit, cache), `the merge of ${unit.modelName} · ${unit.datasetName}/${unit.split}`);
}

async function mergeShardsLocked(res: RunResources, unit: ExtractUnit, cache: FeatureCache): Promise<boolean> {
  if (await allPresent(cache, Object.values(unit.featureKeys))) return false; // merged by the holder we waited for
  const ranges = shardRanges(unit.splitSize, unit.shardStep);
  const dataset = await res.dataset(unit.dataset);
  const shardKeysOf = (splitKey: string): string[] => ranges.map((r) => shardEntryKey(splitKey, r));
  for (const splitKey of Object.values(unit.featureKeys)) if (!(await allPresent(cache, shardKeysOf(splitKey)))) return false;
  for (const [f, splitKey] of Object.entries(unit.featureKeys)) {
    const keys = shardKeysOf(splitKey);
    let parts;
    try {
      parts = await Promise.all(keys.map((k) => cache.read(k)));
    } catch (e) {
      if (await cache.has(splitKey)) continue; // another worker merged and already removed the shards
      throw e;
    }
    const cols = parts[0].matrix.cols;
    const rows = parts.reduce((a, p) => a + p.matrix.rows, 0);
    const data = new Float32Array(rows * cols);
    let at = 0;
    for (const p of parts) {
      if (p.matrix.cols !== cols && p.matrix.rows > 0) throw new Error(`shards of ${splitKey} disagree on feature width (${p.matrix.cols} vs ${cols})`);
      data.set(p.matrix.data, at);
      at += p.matrix.data.length;
    }
    let offsets: Int32Array | undefined;
    if (parts[0].offsets) {
      const off = [0];
      for (const p of parts) for (let i = 1; i < p.offsets!.length; i++) off.push(off[off.length - 1] + p.offsets![i] - p.offsets![i - 1]);
      offsets = Int32Array.from(off);
    }
    const m0 = parts[0].manifest;
    await cache.write(
      splitKey,
      { data, rows, cols },
      {
        modelFingerprint: m0.modelFingerprint,
        inputSize: m0.inputSize,
        datasetFingerprint: m0.datasetFingerprint,
        split: m0.split,
        preprocessing: m0.preprocessing,
        feature: f,
        idsHash: idsHash(dataset.splits[unit.split]!.ids),
        createdAt: new Date().toISOString(),
        extractSeconds: parts.reduce((a, p) => a + p.manifest.extractSeconds, 0),
        medprobe: runtimeVersions().medprobe,
      },
      offsets,
    );
  }
  // Shards are redundant once merged; a racing merger that finds them gone sees the merged entry.
  for (const splitKey of Object.values(unit.featureKeys)) for (const k of shardKeysOf(splitKey)) await fs.rm(cache.entryDir(k), { recursive: true, force: true });
  return true;
}

/**
 * Volume embeddings from cached slice rows: mean/max over each volume's slices, or for 2.5D the
 * three orthogonal central slices side by side — rows are contiguous per volume, so [V·3 × D]
 * is already [V × 3D] in memory.
 */
function volumeFeatures(m: Matrix, offsets: Int32Array, mode: 'mean' | 'max' | '2.5d', ids: readonly string[]): Matrix {
  if (mode !== '2.5d') return aggregateSlices(m, volumeIndexOf(offsets), mode, { volumeIds: ids });
  if (m.rows !== 3 * (offsets.length - 1)) throw new Error(`2.5D features need 3 slices per volume, got ${m.rows} rows for ${offsets.length - 1} volumes`);
  return { data: m.data, rows: m.rows / 3, cols: 3 * m.cols };
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

export interface EvalOutcome {
  file: string;
  result: Result;
  protocolSeconds: number;
}

/**
 * Run one protocol on cached features and write its result. Features come only from the cache:
 * the plan orders this unit after its extraction shards (merging them here if the last shard's
 * worker died between writing its shard and merging).
 */
export async function executeEval(unit: EvalUnit, res: RunResources, extractUnits: readonly ExtractUnit[] = []): Promise<EvalOutcome> {
  const { suite } = res.location;
  if (suite.datasets[unit.dataset].source === 'segmentation') return executeSegEval(unit, res);
  const cache = featureCacheOf(res);
  const model = await res.model(unit.model);
  const dataset = await res.dataset(unit.dataset);
  const entry = suite.datasets[unit.dataset];
  const preparer = await res.preparer(unit.model, unit.dataset);
  const feature = model.features[0];
  const split: Partial<Record<SplitName, LabelledFeatures>> = {};
  const cacheKeys: Record<string, string> = {};
  const wallSeconds: Record<string, number> = {};
  for (const [s, key] of Object.entries(unit.needs) as [SplitName, string][]) {
    if (splitFeatureKey(model, dataset, preparer, s, feature) !== key) {
      throw new MedprobeError(`worker ${os.hostname()}:${process.pid} sees a different model, dataset or preprocessing than the run's planner for ${unit.modelName} · ${unit.datasetName}`, {
        hint: 'every worker must mount the same model and data files at the same paths as the coordinator (docs/scale-out.md)',
      });
    }
    if (!(await cache.has(key))) {
      const shard = extractUnits.find((u) => u.featureKeys[feature] === key);
      if (shard) await mergeShards(res, shard);
      // Not user-fixable and not permanent: a retry after the extraction finishes succeeds.
      if (!(await cache.has(key))) throw new Error(`features of ${unit.modelName} · ${unit.datasetName}/${s} are not in the cache yet (${key.slice(0, 12)})`);
    }
    const e = await cache.read(key);
    cacheKeys[s] = key;
    wallSeconds[`extract_${s}`] = e.manifest.extractSeconds;
    const src = dataset.splits[s]!;
    let m: Matrix = e.matrix;
    if (e.offsets) m = volumeFeatures(m, e.offsets, entry.sliceAggregation, src.ids);
    split[s] = { features: m, labels: src.labels, ids: src.ids };
  }
  const config = suite.protocols[unit.protocol];
  const definition = protocolModule(unit.protocol);
  if (definition.kind !== 'classification') throw new Error(`${unit.protocol} is not a classification protocol`);
  // A protocol that trains on the images reads no features: it gets each split's labels and ids (a 0-column matrix).
  if (definition.inputs === 'images') {
    for (const s of ['train', 'val', 'test'] as const) {
      const src = dataset.splits[s];
      if (src) split[s] = { features: { data: new Float32Array(0), rows: src.size, cols: 0 }, labels: src.labels, ids: src.ids };
    }
  }
  // Feature sets beyond the default (the linear grid's {last 1, last 4} × {CLS, CLS+mean} heads).
  const sets = definition.featureSets(config, model.backbone.card, feature);
  const featureSets: Partial<Record<SplitName, Record<string, Matrix>>> = {};
  if (Object.keys(sets).length > 1 || Object.values(sets)[0] !== feature) {
    for (const s of Object.keys(unit.needs) as SplitName[]) {
      featureSets[s] = {};
      for (const [setName, f] of Object.entries(sets)) {
        const e = await cache.read(splitFeatureKey(model, dataset, preparer, s, f));
        featureSets[s]![setName] = e.offsets ? volumeFeatures(e.matrix, e.offsets, entry.sliceAggregation, dataset.splits[s]!.ids) : e.matrix;
      }
    }
  }
  const images = definition.inputs === 'images' ? await imageInput(res, unit, model, dataset, preparer) : undefined;
  const t0 = performance.now();
  const out = await definition.run({
    images,
    task: dataset.task,
    dataset: dataset.name,
    train: split.train!,
    val: split.val,
    test: split.test!,
    featureSets,
    config,
    seed: suite.seed,
    selectionMetric: suite.selectionMetric,
  });
  const protocolSeconds = (performance.now() - t0) / 1000;
  await recordEvalTime(res.location.cacheDir, { unitKey: unit.key, protocol: unit.protocol, modelFingerprint: model.backbone.fingerprint, host: hostId(), samples: unit.samples, seconds: protocolSeconds, at: new Date().toISOString() });
  const result = buildResult({ res, unit, model, dataset, config, out, feature, preprocessing: preparer.preprocessing, cacheKeys, wallSeconds: { ...wallSeconds, ...out.wallSeconds, protocol: protocolSeconds }, test: split.test! });
  const file = await writeResult(res.location.resultsDir, result);
  return { file, result, protocolSeconds };
}

/** The model file and the splits' images, for protocols that train the backbone (fine-tuning). */
async function imageInput(
  res: RunResources,
  unit: EvalUnit,
  model: Awaited<ReturnType<RunResources['model']>>,
  dataset: Awaited<ReturnType<RunResources['dataset']>>,
  preparer: Awaited<ReturnType<RunResources['preparer']>>,
): Promise<ImageInput> {
  const file = model.backbone.modelPath;
  if (!file || model.backbone.card.format !== 'onnx') {
    throw new MedprobeError(`${unit.protocol} fine-tunes ONNX models; ${model.name} is not one`, { hint: 'give the suite an ONNX export of the model (torch.onnx.export, opset ≥ 13)' });
  }
  const compute = model.backbone.compute ?? (await defaultCompute());
  return {
    modelBytes: await fs.readFile(file),
    modelPath: file,
    card: model.backbone.card,
    inputSize: model.backbone.inputSize,
    splits: dataset.splits,
    prepare: createPreparer(preparer.spec),
    workDir: path.join(res.location.cacheDir, 'finetune', unit.key.slice(0, 24)),
    sessionOptions: sessionOptions(compute),
    log: (line) => process.stderr.write(`${unit.modelName} · ${unit.datasetName} · ${unit.protocol}: ${line}\n`),
  };
}

function buildResult(a: {
  res: RunResources;
  unit: EvalUnit;
  model: Awaited<ReturnType<RunResources['model']>>;
  dataset: Awaited<ReturnType<RunResources['dataset']>>;
  config: unknown;
  out: ProtocolOutput;
  feature: string;
  preprocessing: Record<string, unknown>;
  cacheKeys: Record<string, string>;
  wallSeconds: Record<string, number>;
  test: LabelledFeatures;
}): Result {
  const { out, test, dataset, model } = a;
  const { suite } = a.res.location;
  const task: TaskInfo = dataset.task;
  const lw = labelWidth(task);
  // Protocols that summarise repeated runs (few-shot) report their own metrics and no per-sample scores.
  const metrics = out.summary ?? evaluateClassification(task, test.labels, out.testScores);
  // Percentile bootstrap over test samples, stratified by class for binary tasks; all metrics share the replicates.
  const ci =
    suite.bootstrap.resamples > 0 && !out.summary
      ? bootstrapClassification(task, test.labels, out.testScores, {
          resamples: suite.bootstrap.resamples,
          level: suite.bootstrap.level,
          seed: suite.seed,
          stratified: task.type === 'binary',
        })
      : undefined;
  const testSplit = dataset.splits.test!;
  return resultEnvelope({
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
    protocol: { name: a.unit.protocol, config: { ...(a.config as Record<string, unknown>), ...out.config } },
    selection: { metric: suite.selectionMetric, split: 'val', chosen: out.chosen, candidates: out.candidates },
    metrics,
    ...(ci ? { ci } : {}),
    ...(out.extra ? { extra: out.extra } : {}),
    predictions: out.summary
      ? { split: 'test', ids: [], labels: [], scores: [] }
      : { split: 'test', ids: [...testSplit.ids], labels: toRows(test.labels, lw), scores: toRows(out.testScores, out.scoreWidth) },
    provenance: {
      unitKey: a.unit.key,
      runtime: { [model.backbone.runtime.name]: model.backbone.runtime.version },
      ...(model.backbone.compute ? { compute: model.backbone.compute } : {}),
      ...(a.unit.batch ? { batch: a.unit.batch } : {}),
      seed: suite.seed,
      files: { ...model.files, ...Object.fromEntries(dataset.files.map((f) => [f, dataset.fingerprint])) },
      featureCacheKeys: a.cacheKeys,
      wallSeconds: a.wallSeconds,
      baseDir: a.res.location.baseDir,
    },
  });
}
