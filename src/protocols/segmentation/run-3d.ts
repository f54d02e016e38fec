import path from 'node:path';
import type { NiftiSegPair } from '../../data/segmentation/nifti-pair.js';
import { readNifti } from '../../data/nifti/read.js';
import { writeNifti } from '../../data/nifti/write.js';
import type { GridShape, SegLossSpec } from '../../engine/seg/decoder-spec.js';
import type { GridBackbone } from '../../models/backbone.js';
import { createSegmentationAccumulator, type SegmentationPolicy } from '../../metrics/segmentation.js';
import { writeJsonAtomic } from '../../util/atomic.js';
import { MedprobeError } from '../../util/errors.js';
import { writeSegmentationOverlay, toDisplay8 } from './outputs.js';
import { argmaxClasses, tileInput } from './tiling.js';
import { gatherBatch, predictProbs, trainDecoder, type SegFeatureSet } from './train.js';
import { getSlice, putSlice, sliceGeometry, sliceImage, volumeTo255, type SegSliceAxis, type VolumeIntensity } from './volume-slices.js';

export interface VolumeSegOptions {
  axis: SegSliceAxis;
  intensity: VolumeIntensity;
  /** Graph outputs / block refs, deepest first. */
  maps: string[];
  kind: 'linear' | 'unet';
  epochs: number;
  batchSize: number;
  lr: number;
  loss: SegLossSpec;
  seed: number;
  /** Slice indices the decoder trains on; all slices are predicted and scored. */
  trainSlices: number[];
  outDir: string;
  policy?: Partial<SegmentationPolicy>;
  overlays?: number;
  /** Write `result.json` beside the prediction (default true); false inside a medprobe results folder. */
  summaryJson?: boolean;
}

export interface VolumeSegResult {
  id: string;
  axis: SegSliceAxis;
  classes: string[];
  /** Dice/IoU of the whole predicted volume (slices stacked, counted as one 3D case). */
  volume: { meanDice: number | null; meanIoU: number | null; perClassDice: (number | null)[] };
  /** The same on the slices not trained on, stacked. */
  heldOut: { slices: number; meanDice: number | null; perClassDice: (number | null)[] };
  policy: SegmentationPolicy;
  prediction: string;
  /** Written file re-read: same dims, same affine, same voxels. */
  roundTrip: { affineMaxAbsDiff: number; voxelsEqual: boolean };
  epochLosses: number[];
  wallSeconds: { features: number; train: number; predict: number };
}

/**
 * Slice-by-slice segmentation of one NIfTI volume: every slice through the frozen backbone
 * (resized to its input), a 2D decoder trained on the chosen slices at native slice size,
 * predictions stacked back into a volume, scored as a volume, written as NIfTI on the source grid.
 */
export async function segmentVolume(pair: NiftiSegPair, backbone: GridBackbone, opts: VolumeSegOptions): Promise<VolumeSegResult> {
  const vol = pair.image;
  const K = pair.classes.length;
  const g = sliceGeometry(vol, opts.axis);
  const size = backbone.inputSize;
  const in3 = backbone.card.input;
  const norm = { rescale: in3.rescale, mean: in3.mean, std: in3.std };
  const t0 = performance.now();
  const scaled = volumeTo255(vol, opts.intensity);
  const plane = g.height * g.width;
  const labels = new Uint8Array(g.count * plane);
  const slicePlane = new Uint8Array(plane);
  for (let s = 0; s < g.count; s++) {
    getSlice(vol, pair.labels, opts.axis, s, slicePlane);
    labels.set(slicePlane, s * plane);
  }
  let grids: Float32Array[] = [];
  let shapes: GridShape[] = [];
  const chunk = 16;
  const batch = new Float32Array(chunk * 3 * size * size);
  for (let s = 0; s < g.count; s += chunk) {
    const m = Math.min(chunk, g.count - s);
    for (let b = 0; b < m; b++) tileInput(sliceImage(vol, scaled, opts.axis, s + b, size).input, { x: 0, y: 0 }, size, norm, batch, b * 3 * size * size);
    const out = await backbone.runGrid(batch.slice(0, m * 3 * size * size), m, opts.maps);
    if (s === 0) {
      shapes = opts.maps.map((k) => ({ channels: out[k].dims[1], height: out[k].dims[2], width: out[k].dims[3] }));
      grids = shapes.map((sh) => new Float32Array(g.count * sh.channels * sh.height * sh.width));
    }
    opts.maps.forEach((k, l) => grids[l].set(out[k].data, s * shapes[l].channels * shapes[l].height * shapes[l].width));
  }
  const t1 = performance.now();
  const all: SegFeatureSet = { n: g.count, grids, shapes, labels, height: g.height, width: g.width };
  if (opts.trainSlices.some((s) => !(s >= 0 && s < g.count))) {
    throw new MedprobeError(`training slices must lie in 0..${g.count - 1} along ${opts.axis}`, { hint: 'pick slice indices inside the volume' });
  }
  const sub = gatherBatch(all, opts.trainSlices, K);
  const trainSet: SegFeatureSet = {
    n: sub.n,
    grids: sub.feats,
    shapes,
    labels: Uint8Array.from(opts.trainSlices.flatMap((s) => Array.from(labels.subarray(s * plane, (s + 1) * plane)))),
    height: g.height,
    width: g.width,
  };
  const trained = await trainDecoder(trainSet, { kind: opts.kind, classes: K, epochs: opts.epochs, batchSize: opts.batchSize, lr: opts.lr, seed: opts.seed, loss: opts.loss });
  const t2 = performance.now();
  const probs = await predictProbs(trained.engine, grids, shapes, g.count, opts.batchSize);
  await trained.engine.dispose();
  const predVol = new Uint8Array(vol.width * vol.height * vol.depth);
  const whole = createSegmentationAccumulator(K, opts.policy);
  const held = createSegmentationAccumulator(K, opts.policy);
  const trainSet1 = new Set(opts.trainSlices);
  const overlayEvery = Math.max(1, Math.floor(g.count / Math.max(1, opts.overlays ?? 4)));
  for (let s = 0; s < g.count; s++) {
    const pred = argmaxClasses(probs.subarray(s * K * plane, (s + 1) * K * plane), K, plane);
    putSlice(vol, predVol, opts.axis, s, pred);
    const gt = labels.subarray(s * plane, (s + 1) * plane);
    whole.add(pred, gt, undefined, pair.id);
    if (!trainSet1.has(s)) held.add(pred, gt, undefined, pair.id);
    if (opts.overlays && s % overlayEvery === 0) {
      const img = toDisplay8(sliceImage(vol, scaled, opts.axis, s, size).native);
      await writeSegmentationOverlay(path.join(opts.outDir, 'overlays', `${opts.axis}${String(s).padStart(3, '0')}.png`), img, gt, pred);
    }
  }
  const t3 = performance.now();
  const predFile = path.join(opts.outDir, 'prediction.nii.gz');
  if (pair.values.some((v) => v > 255)) throw new MedprobeError(`label values up to ${Math.max(...pair.values)} do not fit the uint8 prediction file`, { hint: 'relabel to values 0..255' });
  const lm = pair.labelMap;
  await writeNifti(predFile, { kind: '3d', width: lm.width, height: lm.height, depth: lm.depth, spacing: lm.spacing, data: Uint8Array.from(predVol, (k) => pair.values[k]) }, lm.affine);
  // Re-read without reorientation: the file must hold exactly what was written, on the label grid.
  const back = await readNifti(predFile, { canonical: false });
  const affineMaxAbsDiff = Math.max(...back.affine.map((v, i) => Math.abs(v - lm.affine[i])));
  const voxelsEqual = back.data.length === predVol.length && predVol.every((k, i) => back.data[i] === pair.values[k]);
  const w = whole.result();
  const h = held.result();
  const result: VolumeSegResult = {
    id: pair.id,
    axis: opts.axis,
    classes: pair.classes,
    volume: { meanDice: w.meanDice, meanIoU: w.meanIoU, perClassDice: w.perClassDice },
    heldOut: { slices: g.count - trainSet1.size, meanDice: h.meanDice, perClassDice: h.perClassDice },
    policy: w.policy,
    prediction: predFile,
    roundTrip: { affineMaxAbsDiff, voxelsEqual },
    epochLosses: trained.epochLosses,
    wallSeconds: { features: (t1 - t0) / 1000, train: (t2 - t1) / 1000, predict: (t3 - t2) / 1000 },
  };
  if (opts.summaryJson !== false) await writeJsonAtomic(path.join(opts.outDir, 'result.json'), result);
  return result;
}
