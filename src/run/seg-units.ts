import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FeatureCache, featureKey, idsHash } from '../features/cache.js';
import { loadCard, type LoadedCard } from '../models/card.js';
import { isBlockRef } from '../models/onnx/block-ref.js';
import { computeKeyParts } from '../models/backbone.js';
import { hostId } from '../models/throughput.js';
import { recordEvalTime } from './history.js';
import type { GridShape } from '../engine/seg/decoder-spec.js';
import { extractSegGrids, segItems, type LoadedSegCase, type SegLayout, type SegSplitName } from '../protocols/segmentation/cases.js';
import { defaultSegMaps } from '../protocols/segmentation/maps.js';
import type { SegSplit } from '../protocols/segmentation/protocol.js';
import { openTappedBackbone } from '../protocols/segmentation/tapped-backbone.js';
import type { SegmentationProtocol } from '../protocols/protocol.js';
import { PROTOCOLS, type ProtocolName } from '../protocols/registry.js';
import { resultEnvelope } from '../results/envelope.js';
import type { Result } from '../results/schema.js';
import { writeResult } from '../results/write.js';
import { tempPathFor, writeJsonAtomic } from '../util/atomic.js';
import { MedprobeError } from '../util/errors.js';
import { hashObject } from '../util/hash.js';
import { runtimeVersions } from '../util/versions.js';
import type { SegmentationEntry } from './dataset-entries.js';
import type { EvalUnit, ExtractUnit } from './plan.js';
import type { RunResources } from './resources.js';
import type { SegSource } from './seg-datasets.js';
import type { SuiteModel } from './models.js';
import type { RunProgress } from './run-progress.js';

/**
 * Segmentation inside the plan: one extraction unit per (model, dataset, split) embeds every
 * tile or slice once and stores each feature map as a feature-cache entry ([items × C·h·w]);
 * evaluation units (seg-linear, seg-unet, seg-fewshot) fit their decoders from the cache only.
 */

const MAP_PREFIX = 'map:';

export function segProtocol(name: ProtocolName): SegmentationProtocol | undefined {
  const p = PROTOCOLS[name] as unknown as SegmentationProtocol;
  return p.kind === 'segmentation' ? p : undefined;
}

/** The model card a segmentation run reads (tapped outputs and default maps come from it). */
export async function segCardOf(res: RunResources, modelIndex: number): Promise<LoadedCard> {
  const entry = res.location.suite.models[modelIndex];
  if (!entry.card) {
    throw new MedprobeError(`segmentation needs a model card (ONNX), and model ${modelIndex + 1} of the suite is a hub folder`, { hint: 'give the model as `card:` (YAML/JSON next to the .onnx)' });
  }
  const loaded = await loadCard(path.resolve(res.location.baseDir, entry.card));
  // Decoder skips are exposed by editing the ONNX graph; a TF.js model has no graph to edit.
  if (loaded.card.format !== 'onnx') {
    throw new MedprobeError(`segmentation needs an ONNX backbone, and model ${loaded.card.name} is ${loaded.card.format} (${loaded.cardPath})`, {
      file: loaded.cardPath,
      hint: 'convert the model to ONNX for segmentation; TF.js backbones run the classification protocols',
    });
  }
  return loaded;
}

/** The maps protocol `name` reads, deepest first. */
export function mapsFor(name: ProtocolName, config: unknown, card: LoadedCard): string[] {
  const m = segProtocol(name)!.maps(config as never);
  return m === 'auto' ? defaultSegMaps(card) : [...m];
}

export function segLayout(seg: SegSource, model: SuiteModel): SegLayout {
  const input = model.backbone.card.input;
  return { dims: seg.dims, size: model.backbone.inputSize, axis: seg.axis, intensity: seg.intensity, norm: { rescale: input.rescale, mean: input.mean, std: input.std } };
}

/** Feature-cache key of one map of one split. */
export function segFeatureKey(model: SuiteModel, seg: SegSource, layout: SegLayout, split: SegSplitName, map: string): string {
  return featureKey({
    modelFingerprint: model.backbone.fingerprint,
    inputSize: model.backbone.inputSize,
    datasetFingerprint: seg.fingerprint,
    split: `seg/${split}`,
    preprocessing: hashObject({ segLayout: layout }),
    feature: `${MAP_PREFIX}${map}`,
    ...computeKeyParts(model.backbone),
  });
}

function shapeFile(res: RunResources, key: string): string {
  return path.join(res.location.cacheDir, 'seg-grid-shapes', `${key}.json`);
}

async function loadCases(seg: SegSource, split: SegSplitName): Promise<LoadedSegCase[]> {
  const out: LoadedSegCase[] = [];
  for (const item of seg.splits[split]) out.push(await item.load());
  return out;
}

/** Embed one split's tiles/slices and write each map into the cache (shape first, entry last: the entry marks it done). */
export async function executeSegExtract(unit: ExtractUnit, res: RunResources, run?: RunProgress): Promise<{ cached: boolean; merged: boolean; seconds: number }> {
  const cache = new FeatureCache(path.join(res.location.cacheDir, 'features'));
  const done = await Promise.all(Object.values(unit.featureKeys).map(async (k) => (await cache.has(k)) && (await fs.access(shapeFile(res, k)).then(() => true, () => false))));
  if (done.every(Boolean)) return { cached: true, merged: false, seconds: 0 };
  const model = await res.model(unit.model);
  const seg = await res.segDataset(unit.dataset);
  const layout = segLayout(seg, model);
  const split = unit.split as SegSplitName;
  const maps = Object.keys(unit.featureKeys).map((f) => f.slice(MAP_PREFIX.length));
  for (const m of maps) {
    if (segFeatureKey(model, seg, layout, split, m) !== unit.featureKeys[`${MAP_PREFIX}${m}`]) {
      throw new MedprobeError(`this worker sees a different model or segmentation dataset than the run's planner for ${unit.modelName} · ${unit.datasetName}/${split}`, { hint: 'every worker must mount the same model and data files at the same paths as the coordinator' });
    }
  }
  const t0 = performance.now();
  const cases = await loadCases(seg, split);
  const items = segItems(cases, layout);
  const card = await segCardOf(res, unit.model);
  const backbone = await openTappedBackbone(card.modelPath, (({ file: _f, ...rest }) => rest)(card.card), maps.filter((m) => !isBlockRef(m)), res.location.cacheDir, { precision: model.backbone.compute?.precision ?? 'fp32' });
  // The plan counts cases (unit.images), the grid extraction tiles or slices: the run's progress gets
  // whole cases as they complete (items are contiguous per case, so owner[next item] cases are done).
  let itemsDone = 0;
  let casesReported = 0;
  const onTick = (n: number) => {
    itemsDone += n;
    const casesDone = itemsDone === items.n ? cases.length : items.owner[itemsDone];
    run!.extracted(unit.model, casesDone - casesReported);
    casesReported = casesDone;
  };
  let out;
  try {
    run?.shardStarted(unit.model);
    out = await extractSegGrids(cases, items, layout, backbone, maps, {
      batchSize: unit.batchSize,
      label: `${unit.modelName} · ${unit.datasetName}/${split}`,
      ...(run ? { onTick, suffix: () => run.describe() } : {}),
    });
  } finally {
    run?.shardStopped(unit.model);
    await backbone.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  const ids = idsHash(cases.map((c) => c.id));
  for (const [l, m] of maps.entries()) {
    const key = unit.featureKeys[`${MAP_PREFIX}${m}`];
    const sh = out.shapes[l];
    await writeJsonAtomic(shapeFile(res, key), sh);
    await cache.write(key, { data: out.grids[l], rows: items.n, cols: sh.channels * sh.height * sh.width }, {
      modelFingerprint: model.backbone.fingerprint,
      inputSize: model.backbone.inputSize,
      datasetFingerprint: seg.fingerprint,
      split: `seg/${split}`,
      preprocessing: hashObject({ segLayout: layout }),
      feature: `${MAP_PREFIX}${m}`,
      idsHash: ids,
      createdAt: new Date().toISOString(),
      extractSeconds: seconds,
      medprobe: runtimeVersions().medprobe,
    });
  }
  return { cached: false, merged: false, seconds };
}

/** Fit a segmentation protocol from cached grids and write its result. */
export async function executeSegEval(unit: EvalUnit, res: RunResources): Promise<{ file: string; result: Result; protocolSeconds: number }> {
  const { suite } = res.location;
  const protocol = segProtocol(unit.protocol)!;
  const config = suite.protocols[unit.protocol];
  const model = await res.model(unit.model);
  const seg = await res.segDataset(unit.dataset);
  const entry = suite.datasets[unit.dataset] as SegmentationEntry;
  const layout = segLayout(seg, model);
  const card = await segCardOf(res, unit.model);
  const maps = mapsFor(unit.protocol, config, card);
  const cache = new FeatureCache(path.join(res.location.cacheDir, 'features'));
  const splits: Partial<Record<SegSplitName, SegSplit>> = {};
  const cacheKeys: Record<string, string> = {};
  const wallSeconds: Record<string, number> = {};
  for (const split of ['train', 'val', 'test'] as const) {
    if (seg.splits[split].length === 0) continue;
    const cases = await loadCases(seg, split);
    const items = segItems(cases, layout);
    const grids: Float32Array[] = [];
    const shapes: GridShape[] = [];
    for (const m of maps) {
      const key = segFeatureKey(model, seg, layout, split, m);
      if (!(await cache.has(key))) throw new Error(`segmentation features of ${unit.modelName} · ${unit.datasetName}/${split} (${m}) are not in the cache yet`);
      const e = await cache.read(key);
      if (e.matrix.rows !== items.n) throw new Error(`cached ${m} of ${unit.datasetName}/${split} has ${e.matrix.rows} rows for ${items.n} items`);
      grids.push(e.matrix.data);
      shapes.push(JSON.parse(await fs.readFile(shapeFile(res, key), 'utf8')) as GridShape);
      cacheKeys[`${split}/${m}`] = key;
      wallSeconds[`extract_${split}`] = e.manifest.extractSeconds;
    }
    splits[split] = { cases, items, grids, shapes };
  }
  // Predictions go to a staging folder that replaces `<protocol>-predictions/` just before the result is written:
  // a killed or failed run never leaves an earlier result's masks mixed with new ones. Staging folders of
  // earlier killed runs of this unit are removed first.
  const resultDir = path.dirname(unit.resultFile);
  const predictionsDir = path.join(resultDir, `${unit.protocol}-predictions`);
  const staging = tempPathFor(predictionsDir);
  const stale = `.tmp-${path.basename(predictionsDir)}-`;
  for (const f of await fs.readdir(resultDir).catch(() => [] as string[])) if (f.startsWith(stale)) await fs.rm(path.join(resultDir, f), { recursive: true, force: true });
  const t0 = performance.now();
  const out = await protocol.run({
    dataset: seg.name,
    classes: seg.classes,
    layout,
    maps,
    splits,
    config,
    seed: suite.seed,
    bootstrap: suite.bootstrap,
    outDir: staging,
    maskValues: seg.dims === 2 ? [0, 255] : undefined,
  }).catch(async (e) => {
    await fs.rm(staging, { recursive: true, force: true });
    throw e;
  });
  const protocolSeconds = (performance.now() - t0) / 1000;
  await recordEvalTime(res.location.cacheDir, { unitKey: unit.key, protocol: unit.protocol, modelFingerprint: model.backbone.fingerprint, host: hostId(), samples: unit.samples, seconds: protocolSeconds, at: new Date().toISOString() });
  const rel = (f: string) => path.relative(resultDir, path.join(predictionsDir, path.relative(staging, f))).split(path.sep).join('/');
  const valIds = new Set(seg.splits.val.map((i) => i.id));
  const overlap = seg.splits.test.filter((i) => valIds.has(i.id)).map((i) => i.id);
  const result = resultEnvelope({
    model: { name: model.name, fingerprint: model.backbone.fingerprint, inputSize: model.backbone.inputSize, feature: maps.join(','), runtime: model.backbone.runtime },
    dataset: {
      name: seg.name,
      fingerprint: seg.fingerprint,
      task: { type: seg.classes.length === 2 ? 'binary' : 'multi-class', labels: seg.classes },
      dims: seg.dims,
      ...(seg.modality ? { modality: seg.modality } : {}),
      preprocessing: { ...layout, format: entry.format },
      splitSizes: Object.fromEntries((['train', 'val', 'test'] as const).map((s) => [s, seg.splits[s].length])),
    },
    protocol: { name: unit.protocol, config: { ...(config as Record<string, unknown>), ...out.config } },
    selection: out.selection,
    metrics: out.metrics,
    ...(out.ci ? { ci: out.ci } : {}),
    extra: {
      ...out.extra,
      ...(out.cases.some((c) => c.overlay) ? { overlays: out.cases.flatMap((c) => (c.overlay ? [rel(c.overlay)] : [])) } : {}),
      ...(overlap.length ? { warning: `val and test share ${overlap.length} case(s) (${overlap.join(', ')}): the learning rate was chosen on test cases, so the test score is optimistic` } : {}),
    },
    predictions: {
      split: 'test',
      ids: out.cases.map((c) => c.id),
      labels: out.cases.map(() => []),
      scores: out.cases.map(() => []),
      kind: 'segmentation',
      cases: out.cases.map((c) => ({
        dice: c.dice,
        iou: c.iou,
        diceJaccard: c.diceJaccard,
        emptyTruth: c.emptyTruth.map((k) => seg.classes[k]),
        ...(c.file ? { mask: rel(c.file) } : {}),
      })),
    },
    provenance: {
      unitKey: unit.key,
      runtime: { [model.backbone.runtime.name]: model.backbone.runtime.version },
      ...(model.backbone.compute ? { compute: model.backbone.compute } : {}),
      ...(unit.batch ? { batch: unit.batch } : {}),
      seed: suite.seed,
      files: { ...model.files, ...Object.fromEntries(Object.entries(seg.files).map(([f, h]) => [path.join(seg.root, f), h])) },
      featureCacheKeys: cacheKeys,
      wallSeconds: { ...wallSeconds, ...out.wallSeconds, protocol: protocolSeconds },
      baseDir: res.location.baseDir,
    },
  });
  await fs.rm(predictionsDir, { recursive: true, force: true });
  await fs.rename(staging, predictionsDir).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e; // nothing was written (few-shot)
  });
  const file = await writeResult(res.location.resultsDir, result);
  return { file, result, protocolSeconds };
}
