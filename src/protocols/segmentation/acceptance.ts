import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DRIVE_CARD, loadDrive } from '../../data/segmentation/drive.js';
import { MedprobeError } from '../../util/errors.js';
import { writeJsonAtomic } from '../../util/atomic.js';
import { loadNiftiPair } from '../../data/segmentation/nifti-pair.js';
import { extractTiledFeatures } from './features-2d.js';
import { segmentVolume } from './run-3d.js';
import { MRI_PERCENTILES, sliceGeometry } from './volume-slices.js';
import { runDecoder2D, type DecoderRunConfig, type SegmentationRunResult } from './run-2d.js';
import { openTappedBackbone } from './tapped-backbone.js';

/** MobileNetV2-0.35 (Keras layout) stage outputs used as U-Net skips, deepest first: strides 32, 16, 8, 4. */
export const MOBILENETV2_TAPS = ['feature_map', '/graph/block_13_expand_relu/Clip_output_0', '/graph/block_6_expand_relu/Clip_output_0', '/graph/block_3_expand_relu/Clip_output_0'];

export const MOBILENETV2_CARD = {
  name: 'mobilenetv2-035-imagenet',
  format: 'onnx' as const,
  input: { name: 'pixel_values', layout: 'NCHW' as const, size: 224, channels: 3 as const, rescale: 1 / 255, mean: [0.5, 0.5, 0.5] as [number, number, number], std: [0.5, 0.5, 0.5] as [number, number, number], resample: 'bilinear' as const },
  outputs: { pooled: 'pooled', feature_map: 'feature_map' },
};

async function requireDir(p: string): Promise<void> {
  try {
    await fs.access(p);
  } catch {
    throw new MedprobeError(`shared data not found: ${p}`, { file: p, hint: 'the acceptance runs need ../shared beside the checkout' });
  }
}

/**
 * DRIVE: train on training/ (21–40), test on test/ (01–20) inside the FOV, MobileNetV2 features
 * of 224-px tiles at native resolution (3×3 overlapping tiles per 565×584 image, averaged back).
 */
export async function runDriveAcceptance(opts: { shared: string; outDir: string; epochs?: number; seed?: number; only?: string[]; ce?: number }): Promise<Record<string, unknown>> {
  const root = path.join(opts.shared, 'data', 'drive');
  const model = path.join(opts.shared, 'models', 'mobilenetv2-035-imagenet.onnx');
  await requireDir(root);
  const t0 = performance.now();
  const backbone = await openTappedBackbone(model, MOBILENETV2_CARD, MOBILENETV2_TAPS.slice(1), path.join(opts.outDir, 'cache'));
  const [train, test] = [await loadDrive(root, 'training'), await loadDrive(root, 'test')];
  const ftrain = await extractTiledFeatures(train, backbone, MOBILENETV2_TAPS);
  const ftest = await extractTiledFeatures(test, backbone, MOBILENETV2_TAPS);
  await backbone.dispose();
  const extractSeconds = (performance.now() - t0) / 1000;
  const epochs = opts.epochs ?? 40;
  const loss = { dice: 1, ce: opts.ce ?? 0, includeBackground: false };
  const all: DecoderRunConfig[] = [
    { name: 'linear-last', kind: 'linear', layers: [0], epochs, batchSize: 8, lr: 1e-3, loss },
    { name: 'linear-4', kind: 'linear', layers: [0, 1, 2, 3], epochs, batchSize: 8, lr: 1e-3, loss },
    { name: 'unet', kind: 'unet', layers: [0, 1, 2, 3], epochs, batchSize: 8, lr: 1e-3, loss },
  ];
  const suffix = loss.ce > 0 ? `-dice+ce${loss.ce}` : '';
  const configs = all.filter((c) => !opts.only || opts.only.includes(c.name)).map((c) => ({ ...c, name: c.name + suffix }));
  const results: Record<string, SegmentationRunResult> = {};
  for (const cfg of configs) {
    results[cfg.name] = await runDecoder2D(ftrain, ftest, test, cfg, { seed: opts.seed ?? 0, outDir: opts.outDir, classes: 2, maskValues: DRIVE_CARD.classes.map((c) => c.value), overlays: 4 });
  }
  const summary = {
    dataset: 'DRIVE (train 21–40, test 01–20, inside FOV, 1st_manual)',
    model: 'mobilenetv2-035-imagenet.onnx',
    tiles: { train: ftrain.n, test: ftest.n, size: ftrain.tile },
    grids: ftrain.shapes,
    extractSeconds,
    decoders: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { ...r.metrics, epochs: r.decoder.epochs, wallSeconds: r.wallSeconds, finalLoss: r.epochLosses[r.epochLosses.length - 1] }])),
  };
  await writeJsonAtomic(path.join(opts.outDir, 'summary.json'), summary);
  return summary;
}

/**
 * 3D plumbing, not a benchmark (one subject, trained and tested on slices of the same volume):
 * monai `anatomical.nii` + label cut coronally (its label sits in a single axial plane), and the
 * PD25 template + subcortical labels (labels cover a whole-voxel sub-block of the template grid;
 * the template is cropped to it) cut axially. Even slices train, every slice is predicted,
 * the volume is scored as one 3D case and written as NIfTI on the label grid, then re-read.
 */
export async function runNiftiAcceptance(opts: { shared: string; outDir: string; epochs?: number; seed?: number }): Promise<Record<string, unknown>> {
  const dir = path.join(opts.shared, 'data', 'nifti');
  await requireDir(dir);
  const model = path.join(opts.shared, 'models', 'mobilenetv2-035-imagenet.onnx');
  const backbone = await openTappedBackbone(model, MOBILENETV2_CARD, MOBILENETV2_TAPS.slice(1), path.join(opts.outDir, 'cache'));
  const cases = [
    { id: 'monai-anatomical', image: path.join(dir, 'monai', 'anatomical.nii'), labels: path.join(dir, 'monai', 'anatomical_label.nii.gz'), axis: 'y' as const },
    { id: 'pd25-subcortical', image: path.join(dir, 'niivue', 'PD25_PD25-fusion-template-1mm.nii.gz'), labels: path.join(dir, 'niivue', 'PD25_PD25-subcortical-1mm.nii.gz'), axis: 'z' as const },
  ];
  const out: Record<string, unknown> = {};
  for (const c of cases) {
    const t0 = performance.now();
    const pair = await loadNiftiPair(c.image, c.labels, { id: c.id, cropToLabels: true });
    const count = sliceGeometry(pair.image, c.axis).count;
    const r = await segmentVolume(pair, backbone, {
      axis: c.axis,
      intensity: MRI_PERCENTILES,
      maps: MOBILENETV2_TAPS,
      kind: 'unet',
      epochs: opts.epochs ?? 50,
      batchSize: 8,
      lr: 1e-3,
      loss: { dice: 1, ce: 1, includeBackground: false },
      seed: opts.seed ?? 0,
      trainSlices: Array.from({ length: count }, (_, s) => s).filter((s) => s % 2 === 0),
      outDir: path.join(opts.outDir, c.id),
      overlays: 4,
    });
    out[c.id] = { ...r, grid: [pair.image.width, pair.image.height, pair.image.depth], orientation: pair.image.sourceOrientation, wallTotal: (performance.now() - t0) / 1000, finalLoss: r.epochLosses[r.epochLosses.length - 1], epochLosses: undefined };
  }
  await backbone.dispose();
  await writeJsonAtomic(path.join(opts.outDir, 'summary.json'), out);
  return out;
}
