import path from 'node:path';
import type { SegDataset2D } from '../../data/segmentation/types.js';
import type { SegLossSpec } from '../../engine/seg/decoder-spec.js';
import { DEFAULT_UNET_WIDTHS } from '../../engine/seg/decoder-spec.js';
import type { SegmentationPolicy } from '../../metrics/segmentation.js';
import { writeJsonAtomic } from '../../util/atomic.js';
import { evaluateTiled } from './evaluate-2d.js';
import type { TiledFeatureSet } from './features-2d.js';
import { trainDecoder } from './train.js';

export interface DecoderRunConfig {
  /** Label for outputs and tables, e.g. `unet` or `linear-last`. */
  name: string;
  kind: 'linear' | 'unet';
  /** Which of the feature set's grids (indices, deepest first) the decoder sees. */
  layers: number[];
  epochs: number;
  batchSize: number;
  lr: number;
  loss: SegLossSpec;
  widths?: number[];
}

export interface SegmentationRunResult {
  decoder: DecoderRunConfig & { optimizer: 'adam'; widths?: number[] };
  maps: string[];
  tile: number;
  seed: number;
  metrics: {
    meanDice: number | null;
    meanIoU: number | null;
    /** Dice of all scored test pixels pooled (DRIVE papers' "F1"). */
    pooledDice: number | null;
    pooledIoU: number | null;
    pixelAccuracy: number | null;
    pixelAuroc: number | null;
    perClassDice: (number | null)[];
  };
  policy: SegmentationPolicy & { fov: boolean };
  cases: { id: string; dice: (number | null)[]; iou: (number | null)[] }[];
  epochLosses: number[];
  wallSeconds: { train: number; predict: number };
  files: string[];
}

function pick(set: TiledFeatureSet, layers: number[]): TiledFeatureSet {
  return { ...set, grids: layers.map((l) => set.grids[l]), shapes: layers.map((l) => set.shapes[l]), maps: layers.map((l) => set.maps[l]) };
}

/** Train one decoder on cached train grids, score it on the test set, write masks/overlays/result.json. */
export async function runDecoder2D(
  train: TiledFeatureSet,
  test: TiledFeatureSet,
  testDs: SegDataset2D,
  cfg: DecoderRunConfig,
  opts: {
    seed: number;
    outDir: string;
    classes: number;
    maskValues?: number[];
    policy?: Partial<SegmentationPolicy>;
    overlays?: number;
    /** Write this run's own `result.json` beside its masks (default true); false inside a medprobe results folder, where every JSON is read as a result file. */
    summaryJson?: boolean;
  },
): Promise<SegmentationRunResult> {
  const tr = pick(train, cfg.layers);
  const te = pick(test, cfg.layers);
  const t0 = performance.now();
  const trained = await trainDecoder(tr, { kind: cfg.kind, classes: opts.classes, epochs: cfg.epochs, batchSize: cfg.batchSize, lr: cfg.lr, seed: opts.seed, loss: cfg.loss, widths: cfg.widths });
  const t1 = performance.now();
  const outDir = path.join(opts.outDir, cfg.name);
  const ev = await evaluateTiled(trained.engine, te, testDs, { outDir, maskValues: opts.maskValues, policy: opts.policy, overlays: opts.overlays });
  const t2 = performance.now();
  await trained.engine.dispose();
  const s = ev.scores;
  const result: SegmentationRunResult = {
    decoder: { ...cfg, optimizer: 'adam', widths: cfg.kind === 'unet' ? (cfg.widths ?? DEFAULT_UNET_WIDTHS.slice(0, cfg.layers.length)) : undefined },
    maps: te.maps,
    tile: te.tile,
    seed: opts.seed,
    metrics: {
      meanDice: s.meanDice,
      meanIoU: s.meanIoU,
      pooledDice: s.pooled.meanDice,
      pooledIoU: s.pooled.meanIoU,
      pixelAccuracy: s.pooled.accuracy,
      pixelAuroc: ev.pixelAuroc,
      perClassDice: s.perClassDice,
    },
    policy: { ...s.policy, fov: testDs.cases.some((c) => c.fov) },
    cases: s.cases.map((c) => ({ id: c.id, dice: c.dice, iou: c.iou })),
    epochLosses: trained.epochLosses,
    wallSeconds: { train: (t1 - t0) / 1000, predict: (t2 - t1) / 1000 },
    files: ev.written.map((f) => path.relative(opts.outDir, f)),
  };
  if (opts.summaryJson !== false) await writeJsonAtomic(path.join(outDir, 'result.json'), result);
  return result;
}
