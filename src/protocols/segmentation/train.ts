import { DecoderEngine, type SegBatch } from '../../engine/seg/decoder-engine.js';
import type { DecoderSpec, GridShape, SegLossSpec } from '../../engine/seg/decoder-spec.js';
import { MedprobeError } from '../../util/errors.js';
import { createProgress } from '../../util/progress.js';
import { createRng, deriveSeed, permutation } from '../../util/random.js';
import { augmentBatch, type SegAugmentation } from './augment.js';

/** Class index that marks a pixel as not trained on and not scored (matches data/segmentation). */
export const IGNORE_LABEL = 255;

/**
 * Cached frozen-feature grids of N training items (images, tiles or slices) with their label
 * maps at the decoder's output size. Grids are computed once by the backbone and reused every
 * epoch: the encoder is frozen, so recomputing them would only cost time.
 */
export interface SegFeatureSet {
  n: number;
  /** One per feature layer, deepest first: [n, D_l, h_l, w_l] row-major. */
  grids: Float32Array[];
  shapes: GridShape[];
  /** Class index per pixel [n, height, width]; IGNORE_LABEL = skip. */
  labels: Uint8Array;
  /** Optional [n, height, width]: 0 = skip (outside the FOV, padding). */
  valid?: Uint8Array;
  height: number;
  width: number;
}

export interface DecoderTrainOptions {
  kind: 'linear' | 'unet';
  classes: number;
  epochs: number;
  batchSize: number;
  /** Adam learning rate. */
  lr: number;
  seed: number;
  loss: SegLossSpec;
  widths?: number[];
  weightDecay?: number;
  threads?: number;
  /** Called after each epoch with its mean batch loss. */
  onEpoch?: (epoch: number, loss: number) => void;
  /** Seeded training augmentation, applied to each gathered batch (see augment.ts). */
  augment?: SegAugmentation;
  /** Progress bar label (default `<kind> decoder`). */
  label?: string;
}

export interface TrainedDecoder {
  engine: DecoderEngine;
  /** Mean batch loss per epoch. */
  epochLosses: number[];
  steps: number;
}

export function checkTrainable(set: SegFeatureSet, classes: number, what: string): void {
  const { labels, valid } = set;
  let fg = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === IGNORE_LABEL || (valid && valid[i] === 0)) continue;
    if (l >= classes) throw new MedprobeError(`${what}: label ${l} at pixel ${i} is not one of the ${classes} classes`, { hint: "list every mask value as a class in the dataset's card (classes: { name, value }), or fix the masks" });
    if (l > 0) fg++;
  }
  if (fg === 0) {
    throw new MedprobeError(`${what}: every training pixel is background`, {
      hint: 'the decoder would learn to predict background everywhere; check the label maps (wrong label values, masks misaligned) or pick slices that contain the structure',
    });
  }
}

/** Gathers rows `idx` of every grid plus one-hot targets and the validity mask into one batch. */
export function gatherBatch(set: SegFeatureSet, idx: ArrayLike<number>, classes: number): SegBatch {
  const n = idx.length;
  const feats = set.shapes.map((s, l) => {
    const per = s.channels * s.height * s.width;
    const out = new Float32Array(n * per);
    for (let b = 0; b < n; b++) out.set(set.grids[l].subarray(idx[b] * per, (idx[b] + 1) * per), b * per);
    return out;
  });
  const plane = set.height * set.width;
  const target = new Float32Array(n * classes * plane);
  const valid = new Float32Array(n * plane);
  for (let b = 0; b < n; b++) {
    const base = idx[b] * plane;
    for (let p = 0; p < plane; p++) {
      const l = set.labels[base + p];
      if (l === IGNORE_LABEL || (set.valid && set.valid[base + p] === 0)) continue;
      valid[b * plane + p] = 1;
      target[(b * classes + l) * plane + p] = 1;
    }
  }
  return { n, feats, target, valid };
}

export function decoderSpecFor(set: Pick<SegFeatureSet, 'shapes' | 'height' | 'width'>, opts: Pick<DecoderTrainOptions, 'kind' | 'classes' | 'widths'>): DecoderSpec {
  return { kind: opts.kind, inputs: set.shapes, classes: opts.classes, outHeight: set.height, outWidth: set.width, widths: opts.widths };
}

/**
 * Mini-batch Adam on cached grids, shuffled each epoch from the seed. Optional augmentation
 * works on the cached grids themselves (feature space, augment.ts): re-encoding augmented images
 * every epoch is exactly the cost frozen-feature evaluation avoids.
 */
export async function trainDecoder(set: SegFeatureSet, opts: DecoderTrainOptions): Promise<TrainedDecoder> {
  checkTrainable(set, opts.classes, 'segmentation training set');
  const engine = await DecoderEngine.create({
    spec: decoderSpecFor(set, opts),
    loss: opts.loss,
    seed: deriveSeed(opts.seed, `decoder-init-${opts.kind}`),
    lr: opts.lr,
    weightDecay: opts.weightDecay,
    threads: opts.threads,
  });
  const rng = createRng(deriveSeed(opts.seed, 'decoder-shuffle'));
  const augRng = createRng(deriveSeed(opts.seed, 'decoder-augment'));
  const epochLosses: number[] = [];
  const stepsPerEpoch = Math.ceil(set.n / opts.batchSize);
  const progress = createProgress(opts.label ?? `${opts.kind} decoder`, opts.epochs * stepsPerEpoch, 'step');
  let steps = 0;
  for (let e = 0; e < opts.epochs; e++) {
    const order = permutation(set.n, rng);
    let sum = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const idx = order.subarray(s * opts.batchSize, Math.min(set.n, (s + 1) * opts.batchSize));
      const batch = gatherBatch(set, idx, opts.classes);
      if (opts.augment) augmentBatch(batch, set.shapes, opts.classes, set.height, set.width, opts.augment, augRng);
      sum += await engine.step(batch);
      steps++;
      progress.tick();
    }
    epochLosses.push(sum / stepsPerEpoch);
    opts.onEpoch?.(e, sum / stepsPerEpoch);
  }
  progress.stop();
  return { engine, epochLosses, steps };
}
