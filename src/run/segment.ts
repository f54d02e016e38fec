import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DRIVE_CARD, loadDrive } from '../data/segmentation/drive.js';
import { loadNiftiPair } from '../data/segmentation/nifti-pair.js';
import type { SegDataset2D } from '../data/segmentation/types.js';
import type { SegLossSpec } from '../engine/seg/decoder-spec.js';
import { computeKeyParts, type GridBackbone } from '../models/backbone.js';
import { isBlockRef } from '../models/onnx/block-ref.js';
import { loadCard, type LoadedCard } from '../models/card.js';
import { defaultSegMaps } from '../protocols/segmentation/maps.js';
import { segLoss } from '../protocols/segmentation/protocol.js';
export { defaultSegMaps };
import { extractTiledFeatures, type TiledFeatureSet } from '../protocols/segmentation/features-2d.js';
import { runDecoder2D, type DecoderRunConfig, type SegmentationRunResult } from '../protocols/segmentation/run-2d.js';
import { segmentVolume, type VolumeSegResult } from '../protocols/segmentation/run-3d.js';
import { openTappedBackbone } from '../protocols/segmentation/tapped-backbone.js';
import { CT_WINDOW, MRI_PERCENTILES, sliceGeometry, type SegSliceAxis } from '../protocols/segmentation/volume-slices.js';
import type { Result } from '../results/schema.js';
import { resultEnvelope, type EnvelopeParts } from '../results/envelope.js';
import { resultPath, writeResult } from '../results/write.js';
import { modelFingerprint } from '../models/onnx/external-data.js';
import { hashFile, hashObject } from '../util/hash.js';
import { MedprobeError } from '../util/errors.js';
import { runtimeVersions } from '../util/versions.js';
import { fileHashes } from '../util/file-hashes.js';

export type SegDecoderKind = 'linear' | 'unet';
export type SegLossName = 'dice' | 'dice+ce';

/** Protocol name of a decoder in result files and leaderboards. */
export function segProtocolName(kind: SegDecoderKind): string {
  return `seg-${kind}`;
}

/** The loss of a `--loss` name: the suite protocols' (one definition). */
export const segLossSpec: (name: SegLossName) => SegLossSpec = segLoss;


/** An opened backbone with the feature maps a decoder reads and the hashes a result records. */
export interface SegModel {
  loaded: LoadedCard;
  backbone: GridBackbone;
  maps: string[];
  sha256: string;
  cardSha256: string;
}

async function openSegModel(cardPath: string, maps: string[] | undefined, cacheDir: string, threads?: number): Promise<SegModel> {
  const loaded = await loadCard(cardPath);
  const chosen = maps && maps.length ? maps : defaultSegMaps(loaded);
  const { file: _file, ...fields } = loaded.card;
  // Graph outputs stay as they are; any other named tensor is exposed as an extra output.
  const taps = chosen.filter((m) => !isBlockRef(m));
  let sha256: string;
  try {
    sha256 = await modelFingerprint(loaded.modelPath);
  } catch {
    throw new MedprobeError(`model file not found: ${loaded.modelPath}`, { file: loaded.cardPath, hint: 'fix `file:` in the card (it is relative to the card)' });
  }
  const backbone = await openTappedBackbone(loaded.modelPath, fields, taps, cacheDir, threads ? { threads } : {});
  return { loaded, backbone, maps: chosen, sha256, cardSha256: await hashFile(cardPath) };
}

/** What a segmentation result records besides its numbers (model, data identity, seed, hashes). */
export interface SegResultProvenance {
  model: SegModel;
  datasetName: string;
  datasetFingerprint: string;
  classes: string[];
  dims: 2 | 3;
  modality?: string;
  preprocessing: Record<string, unknown>;
  splitSizes: Record<string, number>;
  seed: number;
  startedAt: string;
  files: Record<string, string>;
}

/** The envelope of a segmentation result, less its numbers (metrics, predictions, extra). */
function baseResult(p: SegResultProvenance, protocol: string, config: Record<string, unknown>, wallSeconds: Record<string, number>): Omit<EnvelopeParts, 'metrics' | 'predictions' | 'extra'> {
  const card = p.model.loaded.card;
  return {
    model: {
      name: card.name,
      fingerprint: p.model.sha256,
      inputSize: card.input.size,
      feature: p.model.maps.join(','),
      runtime: { name: 'onnxruntime-node', version: runtimeVersions().runtime['onnxruntime-node'] ?? 'unknown' },
    },
    dataset: {
      name: p.datasetName,
      fingerprint: p.datasetFingerprint,
      task: { type: p.classes.length === 2 ? 'binary' : 'multi-class', labels: p.classes },
      dims: p.dims,
      ...(p.modality ? { modality: p.modality } : {}),
      preprocessing: p.preprocessing,
      splitSizes: p.splitSizes,
    },
    protocol: { name: protocol, config },
    // Segmentation decoders are trained with one fixed configuration: nothing is selected.
    selection: { metric: 'dice', split: 'none', chosen: config, candidates: [] },
    provenance: {
      unitKey: hashObject({ model: p.model.sha256, dataset: p.datasetFingerprint, protocol, config, seed: p.seed, ...computeKeyParts(p.model.backbone) }),
      ...(p.model.backbone.compute ? { compute: p.model.backbone.compute } : {}),
      seed: p.seed,
      files: p.files,
      featureCacheKeys: {},
      startedAt: p.startedAt,
      wallSeconds,
    },
  };
}

/** Per-class metrics keyed `<metric>/<class>`, background included only where the policy scored it. */
function perClass(prefix: string, classes: string[], values: (number | null)[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  classes.forEach((c, k) => {
    if (values[k] !== null && values[k] !== undefined) out[`${prefix}/${c}`] = values[k];
  });
  return out;
}

/** A 2D decoder run as a `medprobe.result/v1` object; `dir` is the folder its masks/overlays went to, relative to the result file. */
export function segmentation2DResult(p: SegResultProvenance, r: SegmentationRunResult, dir: string, extractSeconds: number): Result {
  const protocol = segProtocolName(r.decoder.kind);
  const config = { decoder: r.decoder, maps: r.maps, tile: r.tile, tiling: 'native resolution, overlapping tiles averaged', policy: r.policy };
  const base = baseResult(p, protocol, config, { features: extractSeconds, train: r.wallSeconds.train, predict: r.wallSeconds.predict });
  const rel = (f: string) => path.posix.join(dir, f.split(path.sep).join('/'));
  const written = new Set(r.files.map((f) => f.split(path.sep).join('/')));
  const overlays = r.cases.map((c) => rel(`overlays/${c.id}.png`)).filter((f) => written.has(f));
  return resultEnvelope({
    ...base,
    metrics: {
      dice: r.metrics.meanDice,
      iou: r.metrics.meanIoU,
      ...(r.metrics.pixelAuroc !== null || p.classes.length === 2 ? { auroc: r.metrics.pixelAuroc } : {}),
      dicePooled: r.metrics.pooledDice,
      iouPooled: r.metrics.pooledIoU,
      pixelAccuracy: r.metrics.pixelAccuracy,
      ...perClass('dice', p.classes, r.metrics.perClassDice),
    },
    extra: {
      overlays,
      epochLosses: r.epochLosses,
      metricNotes: 'dice/iou: mean over test cases of the per-case mean over scored classes; dicePooled: all scored test pixels pooled (DRIVE papers\' F1); auroc: pooled pixel AUROC (binary only)',
    },
    predictions: {
      split: 'test',
      ids: r.cases.map((c) => c.id),
      labels: r.cases.map(() => []),
      scores: r.cases.map(() => []),
      kind: 'segmentation',
      cases: r.cases.map((c) => {
        const overlay = rel(`overlays/${c.id}.png`);
        return { dice: c.dice, iou: c.iou, mask: rel(`masks/${c.id}.png`), ...(written.has(overlay) ? { overlay } : {}) };
      }),
    },
  });
}

/** Paths relative to the results folder's `<model>/<dataset>/` directory, where the result file sits. */
function relativeTo(resultFile: string, file: string): string {
  return path.relative(path.dirname(resultFile), file).split(path.sep).join('/');
}

export interface SegmentDriveOptions {
  /** DRIVE root with training/ and test/ as distributed. */
  data: string;
  /** Model card (YAML/JSON). */
  model: string;
  decoders: SegDecoderKind[];
  resultsDir: string;
  epochs?: number;
  loss?: SegLossName;
  /** Feature maps deepest first; default from the card (see defaultSegMaps). */
  maps?: string[];
  seed?: number;
  batchSize?: number;
  lr?: number;
  /** U-Net block widths, one per map (default 128, 64, 32, 16). */
  widths?: number[];
  /** Dataset name in results (default `drive`). */
  name?: string;
  overlays?: number;
  cacheDir?: string;
  threads?: number;
  /** Called after each result file is written. */
  onResult?: (file: string, result: Result) => void;
}

/** DRIVE (or any folder in its layout): train on training/, score on test/ inside the FOV; one result file per decoder. */
export async function runSegmentDrive(o: SegmentDriveOptions): Promise<{ files: string[]; results: Result[] }> {
  const startedAt = new Date().toISOString();
  const cacheDir = o.cacheDir ?? path.join(o.resultsDir, '.cache');
  const root = path.resolve(o.data);
  const [train, test] = [await loadDrive(root, 'training'), await loadDrive(root, 'test')];
  const model = await openSegModel(o.model, o.maps, cacheDir, o.threads);
  const t0 = performance.now();
  let ftrain: TiledFeatureSet;
  let ftest: TiledFeatureSet;
  try {
    ftrain = await extractTiledFeatures(train, model.backbone, model.maps);
    ftest = await extractTiledFeatures(test, model.backbone, model.maps);
  } finally {
    await model.backbone.dispose();
  }
  const extractSeconds = (performance.now() - t0) / 1000;
  const datasetName = o.name ?? 'drive';
  const dataFiles = (ds: SegDataset2D) => ds.cases.flatMap((c) => [c.files.image, c.files.mask, ...(c.files.fov ? [c.files.fov] : [])]);
  const digests = await fileHashes([...dataFiles(train), ...dataFiles(test)], { cacheDir, label: 'hashing DRIVE files' });
  const datasetFingerprint = hashObject([...digests].map(([f, h]) => [path.relative(root, f).split(path.sep).join('/'), h]).sort());
  const prov: SegResultProvenance = {
    model,
    datasetName,
    datasetFingerprint,
    classes: train.classes,
    dims: 2,
    // The DRIVE layout (TIFF + 1st_manual + FOV mask) is the retinal fundus benchmark's.
    modality: 'fundus',
    preprocessing: { tile: ftrain.tile, tiling: 'native-resolution tiles, overlap averaged', normalisation: model.loaded.card.input, fov: 'scored and trained inside the FOV mask' },
    splitSizes: { train: train.cases.length, test: test.cases.length },
    seed: o.seed ?? 0,
    startedAt,
    files: { model: model.sha256, card: model.cardSha256 },
  };
  const epochs = o.epochs ?? 40;
  const loss = segLossSpec(o.loss ?? 'dice');
  const files: string[] = [];
  const results: Result[] = [];
  for (const kind of o.decoders) {
    const protocol = segProtocolName(kind);
    const file = resultPath(o.resultsDir, model.loaded.card.name, datasetName, protocol);
    const cfg: DecoderRunConfig = { name: protocol, kind, layers: model.maps.map((_, i) => i), epochs, batchSize: o.batchSize ?? 8, lr: o.lr ?? 1e-3, loss, ...(kind === 'unet' && o.widths ? { widths: o.widths } : {}) };
    const r = await runDecoder2D(ftrain, ftest, test, cfg, {
      seed: prov.seed,
      outDir: path.dirname(file),
      classes: train.classes.length,
      maskValues: DRIVE_CARD.classes.map((c) => c.value),
      overlays: o.overlays ?? 4,
      summaryJson: false,
    });
    const result = segmentation2DResult(prov, r, protocol, extractSeconds);
    const written = await writeResult(o.resultsDir, result);
    files.push(written);
    results.push(result);
    o.onResult?.(written, result);
  }
  return { files, results };
}

export interface SegmentNiftiOptions {
  image: string;
  labels: string;
  model: string;
  resultsDir: string;
  axis?: SegSliceAxis;
  decoder?: SegDecoderKind;
  intensity?: 'ct' | 'mri';
  epochs?: number;
  loss?: SegLossName;
  maps?: string[];
  seed?: number;
  batchSize?: number;
  lr?: number;
  /** Dataset name in results (default: the label file's name without .nii/.nii.gz). */
  name?: string;
  /** Accept a label map covering a whole-voxel sub-block of the image (crop the image to it). */
  cropToLabels?: boolean;
  overlays?: number;
  cacheDir?: string;
  threads?: number;
}

/** A NIfTI volume's result: trained on even slices, the reported Dice on the odd (held-out) slices stacked. */
export function segmentation3DResult(p: SegResultProvenance, r: VolumeSegResult, resultFile: string, cfg: Record<string, unknown>, overlays: string[]): Result {
  const protocol = segProtocolName(cfg.kind as SegDecoderKind);
  const config = { ...cfg, policy: r.policy, scoring: 'dice/iou on the held-out (odd) slices stacked; *AllSlices on the whole volume' };
  const base = baseResult(p, protocol, config, { features: r.wallSeconds.features, train: r.wallSeconds.train, predict: r.wallSeconds.predict });
  const prediction = relativeTo(resultFile, r.prediction);
  return resultEnvelope({
    ...base,
    metrics: {
      dice: r.heldOut.meanDice,
      diceAllSlices: r.volume.meanDice,
      iouAllSlices: r.volume.meanIoU,
      ...perClass('dice', p.classes, r.heldOut.perClassDice),
    },
    extra: { overlays, epochLosses: r.epochLosses, heldOutSlices: r.heldOut.slices, roundTrip: r.roundTrip, axis: r.axis },
    predictions: {
      split: 'held-out slices',
      ids: [r.id],
      labels: [[]],
      scores: [[]],
      kind: 'segmentation',
      cases: [{ dice: r.heldOut.perClassDice, mask: prediction }],
    },
  });
}

function niftiStem(file: string): string {
  return path.basename(file).replace(/\.nii(\.gz)?$/i, '');
}

/** One NIfTI image + label map, sliced along `axis`: one result file. */
export async function runSegmentNifti(o: SegmentNiftiOptions): Promise<{ file: string; result: Result }> {
  const startedAt = new Date().toISOString();
  const cacheDir = o.cacheDir ?? path.join(o.resultsDir, '.cache');
  const datasetName = o.name ?? niftiStem(o.labels);
  const pair = await loadNiftiPair(o.image, o.labels, { id: niftiStem(o.image), cropToLabels: o.cropToLabels });
  const axis = o.axis ?? 'z';
  const count = sliceGeometry(pair.image, axis).count;
  if (count < 2) throw new MedprobeError(`${o.image} has ${count} slice along ${axis}: nothing to hold out`, { file: o.image, hint: 'pick another --axis' });
  const model = await openSegModel(o.model, o.maps, cacheDir, o.threads);
  const kind = o.decoder ?? 'unet';
  const protocol = segProtocolName(kind);
  const file = resultPath(o.resultsDir, model.loaded.card.name, datasetName, protocol);
  const intensity = o.intensity === 'ct' ? CT_WINDOW : MRI_PERCENTILES;
  const cfg = { kind, maps: model.maps, axis, intensity: o.intensity ?? 'mri', epochs: o.epochs ?? 50, batchSize: o.batchSize ?? 8, lr: o.lr ?? 1e-3, loss: segLossSpec(o.loss ?? 'dice+ce'), trainSlices: 'even' };
  const outDir = path.join(path.dirname(file), protocol);
  let r: VolumeSegResult;
  try {
    r = await segmentVolume(pair, model.backbone, {
      axis,
      intensity,
      maps: model.maps,
      kind,
      epochs: cfg.epochs,
      batchSize: cfg.batchSize,
      lr: cfg.lr,
      loss: cfg.loss,
      seed: o.seed ?? 0,
      trainSlices: Array.from({ length: count }, (_, s) => s).filter((s) => s % 2 === 0),
      outDir,
      overlays: o.overlays ?? 4,
      summaryJson: false,
    });
  } finally {
    await model.backbone.dispose();
  }
  const overlayDir = path.join(outDir, 'overlays');
  const overlayNames = (await fs.readdir(overlayDir).catch(() => [] as string[])).filter((n) => n.endsWith('.png')).sort();
  const overlays = overlayNames.map((n) => relativeTo(file, path.join(overlayDir, n)));
  const [imageSha, labelSha] = [await hashFile(o.image), await hashFile(o.labels)];
  const prov: SegResultProvenance = {
    model,
    datasetName,
    datasetFingerprint: hashObject({ image: imageSha, labels: labelSha, cropToLabels: !!o.cropToLabels }),
    classes: pair.classes,
    dims: 3,
    // The intensity rule is the user's statement of what the volume is.
    modality: o.intensity === 'ct' ? 'CT' : 'MRI',
    preprocessing: { axis, intensity: o.intensity ?? 'mri', sliceResize: 'bilinear to the backbone input; decoder outputs at native slice size', cropToLabels: !!o.cropToLabels },
    splitSizes: { trainSlices: Math.ceil(count / 2), heldOutSlices: r.heldOut.slices },
    seed: o.seed ?? 0,
    startedAt,
    files: { model: model.sha256, card: model.cardSha256, image: imageSha, labels: labelSha },
  };
  const result = segmentation3DResult(prov, r, file, cfg, overlays);
  return { file: await writeResult(o.resultsDir, result), result };
}
