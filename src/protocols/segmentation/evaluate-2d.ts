import path from 'node:path';
import type { SegDataset2D } from '../../data/segmentation/types.js';
import type { DecoderEngine } from '../../engine/seg/decoder-engine.js';
import {
  createPixelAurocAccumulator,
  createSegmentationAccumulator,
  type SegmentationDatasetScores,
  type SegmentationPolicy,
} from '../../metrics/segmentation.js';
import type { MaybeMetric } from '../../metrics/auroc.js';
import type { TiledFeatureSet } from './features-2d.js';
import { writeMaskPng, writeSegmentationOverlay } from './outputs.js';
import { TileStitcher, argmaxClasses } from './tiling.js';
import { IGNORE_LABEL } from './train.js';

export interface Seg2DEvaluation {
  scores: SegmentationDatasetScores;
  /** Binary tasks only: foreground probability vs ground truth over all scored pixels pooled. */
  pixelAuroc: MaybeMetric;
  /** Files written (masks, overlays). */
  written: string[];
}

export interface Seg2DEvalOptions {
  batchSize?: number;
  policy?: Partial<SegmentationPolicy>;
  /** Where to write `<id>.png` masks and overlays; nothing is written without it. */
  outDir?: string;
  /** Mask pixel value per class for written masks (the card's values). */
  maskValues?: readonly number[];
  /** How many cases get an overlay PNG (the first ones in dataset order). */
  overlays?: number;
}

/**
 * Predicts every tile, averages overlapping tiles back into full-size probability maps, and
 * scores each case at its native size with src/metrics (inside the FOV when the case has one;
 * ignore labels excluded). Cases stream through: only one stitched map is alive at a time.
 */
export async function evaluateTiled(engine: DecoderEngine, feats: TiledFeatureSet, ds: SegDataset2D, opts: Seg2DEvalOptions = {}): Promise<Seg2DEvaluation> {
  const K = engine.spec.classes;
  const batchSize = opts.batchSize ?? 16;
  const acc = createSegmentationAccumulator(K, opts.policy);
  const auroc = K === 2 ? createPixelAurocAccumulator() : null;
  const written: string[] = [];
  const tileProbs = K * feats.tile * feats.tile;
  let t = 0;
  for (let ci = 0; ci < ds.cases.length; ci++) {
    const c = ds.cases[ci];
    const first = t;
    while (t < feats.n && feats.tiles[t].caseIndex === ci) t++;
    const stitch = new TileStitcher(c.image.width, c.image.height, K);
    for (let s = first; s < t; s += batchSize) {
      const m = Math.min(batchSize, t - s);
      const grids = feats.shapes.map((sh, l) => {
        const per = sh.channels * sh.height * sh.width;
        return feats.grids[l].slice(s * per, (s + m) * per);
      });
      const probs = await engine.predict(grids, m);
      for (let b = 0; b < m; b++) stitch.add(probs, b * tileProbs, feats.tiles[s + b].origin, feats.tile);
    }
    const probs = stitch.result();
    const pixels = c.image.width * c.image.height;
    const pred = argmaxClasses(probs, K, pixels);
    const scored = new Uint8Array(pixels);
    const gt = new Uint8Array(pixels);
    for (let p = 0; p < pixels; p++) {
      const keep = c.mask[p] !== IGNORE_LABEL && (!c.fov || c.fov[p] !== 0);
      scored[p] = keep ? 1 : 0;
      gt[p] = keep ? c.mask[p] : 0;
    }
    // Outside the FOV nothing was trained or scored; written masks say background there.
    if (c.fov) for (let p = 0; p < pixels; p++) if (c.fov[p] === 0) pred[p] = 0;
    acc.add(pred, gt, scored, c.id);
    auroc?.add(probs.subarray(pixels, 2 * pixels), gt, scored);
    if (opts.outDir) {
      const maskFile = path.join(opts.outDir, 'masks', `${c.id}.png`);
      await writeMaskPng(maskFile, pred, c.image.width, c.image.height, opts.maskValues ?? Array.from({ length: K }, (_, k) => k));
      written.push(maskFile);
      if (ci < (opts.overlays ?? 4)) {
        const ov = path.join(opts.outDir, 'overlays', `${c.id}.png`);
        await writeSegmentationOverlay(ov, c.image, c.mask, pred, c.fov);
        written.push(ov);
      }
    }
  }
  return { scores: acc.result(), pixelAuroc: auroc ? auroc.result() : null, written };
}
