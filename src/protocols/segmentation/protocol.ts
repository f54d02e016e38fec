import { z } from 'zod';
import type { GridShape, SegLossSpec } from '../../engine/seg/decoder-spec.js';
import { blockSize, DEFAULT_UNET_WIDTHS } from '../../engine/seg/decoder-spec.js';
import { meanDefined, type MaybeMetric } from '../../metrics/auroc.js';
import { bootstrapCI, type ConfidenceInterval } from '../../metrics/bootstrap.js';
import { MedprobeError } from '../../util/errors.js';
import { createRng, deriveSeed } from '../../util/random.js';
import { defineSegProtocol } from '../protocol.js';
import { assertClassesPresent, predictAndScore, segFeatureSet, type LoadedSegCase, type ScoredCase, type SegItems, type SegLayout, type SegSplitName } from './cases.js';
import { decoderSpecFor, trainDecoder } from './train.js';

/** One split as a segmentation protocol sees it: cases, their items, and the cached grids of every item. */
export interface SegSplit {
  cases: LoadedSegCase[];
  items: SegItems;
  grids: Float32Array[];
  shapes: GridShape[];
}

export interface SegRunInput<C> {
  dataset: string;
  classes: string[];
  layout: SegLayout;
  /** Maps the grids came from, deepest first. */
  maps: string[];
  splits: Partial<Record<SegSplitName, SegSplit>>;
  config: C;
  seed: number;
  bootstrap: { resamples: number; level: number };
  /** Where test predictions are written (one file per case), if anywhere. */
  outDir?: string;
  /** 2D masks: the dataset's pixel value per class. */
  maskValues?: number[];
  threads?: number;
}

export interface SegProtocolOutput {
  config: Record<string, unknown>;
  selection: { metric: string; split: string; chosen: Record<string, unknown>; candidates: { params: Record<string, unknown>; score: number | null }[] };
  metrics: Record<string, number | null>;
  ci?: Record<string, ConfidenceInterval>;
  /** Test cases, scored (empty for few-shot, which summarises tries). */
  cases: ScoredCase[];
  extra: Record<string, unknown>;
  wallSeconds: Record<string, number>;
}

const AugmentSchema = z
  .object({ hflip: z.number().min(0).max(1).default(0.25), vflip: z.number().min(0).max(1).default(0.25), rotate: z.number().min(0).max(1).default(0.25), maxDegrees: z.number().min(0).max(180).default(90) })
  .strict();

/** What every segmentation protocol trains with; the defaults are the reference study's. */
const trainingFields = {
  /** Adam learning rates, chosen by validation (Dice + Jaccard) / 2. */
  lr: z.array(z.number().positive()).nonempty().default([1e-2, 5e-2, 1e-3, 5e-3]),
  epochs: z.number().int().positive().default(40),
  batchSize: z.number().int().positive().default(16),
  loss: z.enum(['dice', 'dice+ce']).default('dice'),
  /** Flips (p 0.25 each) and rotation (p 0.25, up to ±90°) on the cached grids; false: none. */
  augment: z.union([z.literal(false), AugmentSchema]).default({ hflip: 0.25, vflip: 0.25, rotate: 0.25, maxDegrees: 90 }),
  /** Feature maps, deepest first (graph tensors or block:-k); 'auto': the ViT's last 4 blocks, MobileNetV2's stride 32/16/8/4 stages. */
  maps: z.union([z.literal('auto'), z.array(z.string().min(1)).nonempty()]).default('auto'),
  /** A class absent from a test case's truth: left out of that case ('exclude'), or a false positive there scores 0 ('penalise'). */
  emptyTruth: z.enum(['exclude', 'penalise']).default('exclude'),
};

export const SegDecoderOptionsSchema = z.object({ ...trainingFields }).strict();
export const SegUnetOptionsSchema = z.object({ ...trainingFields, widths: z.array(z.number().int().positive()).nonempty().optional() }).strict();
export const SegFewShotOptionsSchema = z
  .object({
    ...trainingFields,
    decoder: z.enum(['linear', 'unet']).default('linear'),
    widths: z.array(z.number().int().positive()).nonempty().optional(),
    /** Labelled training images or volumes per try. */
    shots: z.array(z.number().int().positive()).nonempty().default([1, 2, 4]),
    tries: z.number().int().positive().default(3),
  })
  .strict();
export type SegDecoderConfig = z.infer<typeof SegUnetOptionsSchema>;
export type SegFewShotConfig = z.infer<typeof SegFewShotOptionsSchema>;

export function segLoss(name: 'dice' | 'dice+ce'): SegLossSpec {
  return { dice: 1, ce: name === 'dice+ce' ? 1 : 0, includeBackground: false };
}

/** A U-Net doubles its deepest grid once per block: more blocks than the output size allows do not fit. */
function checkDecoderFits(kind: 'linear' | 'unet', shapes: GridShape[], size: number, maps: string[], widths?: number[]): void {
  if (kind !== 'unet') return;
  const spec = { kind, inputs: shapes, classes: 2, outHeight: size, outWidth: size, widths };
  const [h, w] = blockSize(spec, shapes.length - 1);
  if (h > size || w > size) {
    throw new MedprobeError(`a U-Net on ${shapes.length} maps (${maps.join(', ')}) starting from a ${shapes[0].height}×${shapes[0].width} grid reaches ${h}×${w}, beyond the ${size}×${size} output`, {
      hint: 'use fewer maps (deepest first) or the seg-linear decoder for this backbone',
    });
  }
}

const mean = (xs: readonly MaybeMetric[]) => meanDefined(xs);

/**
 * Dataset-level test metrics from scored cases: means over cases (null cases left out), per class
 * too; and pooled Dice/Jaccard over every scored pixel (voxel) of the split, mean over the
 * foreground classes present in the truth (pooled Dice is what DRIVE papers call F1).
 */
function aggregate(cases: readonly ScoredCase[], classes: readonly string[]): Record<string, number | null> {
  const m: Record<string, number | null> = {
    diceJaccard: mean(cases.map((c) => c.meanDiceJaccard)),
    dice: mean(cases.map((c) => c.meanDice)),
    iou: mean(cases.map((c) => c.meanIoU)),
  };
  const pooledDice: MaybeMetric[] = [];
  const pooledIoU: MaybeMetric[] = [];
  classes.forEach((name, k) => {
    if (k === 0) return;
    m[`diceJaccard/${name}`] = mean(cases.map((c) => c.diceJaccard[k]));
    m[`dice/${name}`] = mean(cases.map((c) => c.dice[k]));
    m[`iou/${name}`] = mean(cases.map((c) => c.iou[k]));
    const [inter, gt, pred] = ['inter', 'gt', 'pred'].map((f) => cases.reduce((a, c) => a + c.counts[f as 'inter'][k], 0));
    pooledDice.push(gt > 0 ? (2 * inter) / (gt + pred) : null);
    pooledIoU.push(gt > 0 ? inter / (gt + pred - inter) : null);
  });
  m.dicePooled = mean(pooledDice);
  m.iouPooled = mean(pooledIoU);
  return m;
}

/** Percentile bootstrap over cases (images or volumes) of the per-case means. */
function caseCIs(cases: readonly ScoredCase[], b: { resamples: number; level: number }, seed: number): Record<string, ConfidenceInterval> | undefined {
  if (b.resamples === 0) return undefined;
  const out: Record<string, ConfidenceInterval> = {};
  for (const [key, pick] of [['diceJaccard', (c: ScoredCase) => c.meanDiceJaccard], ['dice', (c: ScoredCase) => c.meanDice], ['iou', (c: ScoredCase) => c.meanIoU]] as const) {
    const values = cases.map(pick).filter((v): v is number => v !== null);
    if (values.length === 0) continue;
    const ci = bootstrapCI((_l, s) => s.reduce((a, v) => a + v, 0) / s.length, new Int32Array(values.length), Float32Array.from(values), { resamples: b.resamples, level: b.level, seed, stratified: false });
    if (ci) out[key] = ci;
  }
  return out;
}

interface FitOutcome {
  candidates: { params: Record<string, unknown>; score: number | null; epochLosses: number[] }[];
  best: number;
  engine: Awaited<ReturnType<typeof trainDecoder>>['engine'];
  trainSeconds: number;
  valSeconds: number;
}

/**
 * Trains one decoder per learning rate on the training items (all, or `keep`), scores each on
 * the validation cases by mean (Dice + Jaccard) / 2 and keeps the best (first on ties). A
 * single learning rate needs no validation split.
 */
async function fitGrid(input: SegRunInput<SegDecoderConfig>, kind: 'linear' | 'unet', seed: number, keep?: Int32Array): Promise<FitOutcome> {
  const c = input.config;
  const train = input.splits.train!;
  const val = input.splits.val;
  if (c.lr.length > 1 && !(val && val.cases.length)) {
    throw new MedprobeError(`${input.dataset}: choosing among ${c.lr.length} learning rates needs a validation split, and it has none`, { hint: 'list val cases in the dataset entry, or give one lr' });
  }
  const set = segFeatureSet(train.items, train.grids, train.shapes, keep);
  const candidates: FitOutcome['candidates'] = [];
  let best = -1;
  let engine: FitOutcome['engine'] | undefined;
  let trainSeconds = 0;
  let valSeconds = 0;
  try {
    for (const lr of c.lr) {
      const t0 = performance.now();
      const trained = await trainDecoder(set, {
        kind,
        classes: input.classes.length,
        epochs: c.epochs,
        batchSize: c.batchSize,
        lr,
        seed,
        loss: segLoss(c.loss),
        widths: kind === 'unet' ? c.widths : undefined,
        augment: c.augment === false ? undefined : c.augment,
        threads: input.threads,
        label: `${input.dataset} seg-${kind} lr ${lr}`,
      });
      const t1 = performance.now();
      trainSeconds += (t1 - t0) / 1000;
      let score: number | null = null;
      if (val && val.cases.length && c.lr.length > 1) {
        const scored = await predictAndScore(trained.engine, val.cases, val.items, val.grids, val.shapes, input.layout, { emptyTruth: c.emptyTruth, batchSize: c.batchSize });
        score = meanDefined(scored.map((s) => s.meanDiceJaccard));
      }
      valSeconds += (performance.now() - t1) / 1000;
      candidates.push({ params: { lr }, score, epochLosses: trained.epochLosses });
      const i = candidates.length - 1;
      const better = best < 0 || (score !== null && (candidates[best].score === null || score > (candidates[best].score as number)));
      if (better) {
        await engine?.dispose();
        engine = trained.engine;
        best = i;
      } else {
        await trained.engine.dispose();
      }
    }
  } catch (e) {
    await engine?.dispose();
    throw e;
  }
  return { candidates, best, engine: engine!, trainSeconds, valSeconds };
}

function configOf(kind: 'linear' | 'unet', c: SegDecoderConfig, input: SegRunInput<unknown>): Record<string, unknown> {
  return {
    decoder: kind,
    ...(kind === 'unet' ? { widths: c.widths ?? DEFAULT_UNET_WIDTHS.slice(0, input.maps.length) } : {}),
    maps: input.maps,
    optimizer: 'adam',
    lossSpec: segLoss(c.loss),
    augmentation: c.augment === false ? 'none' : { ...c.augment, space: 'cached feature grids and label maps, jointly (flips exact, rotations bilinear/nearest)' },
    layout: input.layout.dims === 3 ? { slicing: `along ${input.layout.axis}, each slice resized to ${input.layout.size}² (bilinear), labels nearest; predictions resized back`, scoring: 'per volume in 3D' } : { tiling: `native-resolution ${input.layout.size}² tiles, overlaps averaged`, scoring: 'per image, inside the FOV' },
    emptyTruthPolicy: c.emptyTruth === 'exclude' ? 'a class with empty truth in a test case is left out of that case (listed as emptyTruth), never scored as Dice 1' : 'a class with empty truth in a test case scores 0 when predicted there, and is left out otherwise (never Dice 1)',
    headline: 'diceJaccard = mean over test cases of the mean over foreground classes of (Dice + Jaccard) / 2',
  };
}

function decoderProtocol(kind: 'linear' | 'unet') {
  return async (input: SegRunInput<SegDecoderConfig>): Promise<SegProtocolOutput> => {
    const c = input.config;
    const train = input.splits.train!;
    const test = input.splits.test!;
    checkDecoderFits(kind, train.shapes, input.layout.size, input.maps, c.widths);
    assertClassesPresent(train.items, input.classes, `${input.dataset}/train`);
    decoderSpecFor({ shapes: train.shapes, height: input.layout.size, width: input.layout.size }, { kind, classes: input.classes.length, widths: c.widths });
    const fit = await fitGrid(input, kind, input.seed);
    const t0 = performance.now();
    let cases: ScoredCase[];
    try {
      cases = await predictAndScore(fit.engine, test.cases, test.items, test.grids, test.shapes, input.layout, { emptyTruth: c.emptyTruth, outDir: input.outDir, maskValues: input.maskValues, batchSize: c.batchSize });
    } finally {
      await fit.engine.dispose();
    }
    const selected = c.lr.length > 1;
    return {
      config: configOf(kind, c, input),
      selection: {
        metric: 'diceJaccard',
        split: selected ? 'val' : 'none',
        chosen: { ...fit.candidates[fit.best].params },
        candidates: fit.candidates.map(({ params, score }) => ({ params, score })),
      },
      metrics: aggregate(cases, input.classes),
      ci: caseCIs(cases, input.bootstrap, input.seed),
      cases,
      extra: { epochLosses: Object.fromEntries(fit.candidates.map((k) => [String(k.params.lr), k.epochLosses])) },
      wallSeconds: { train: fit.trainSeconds, validate: fit.valSeconds, test: (performance.now() - t0) / 1000 },
    };
  };
}

const notForClassification = () => null;
const noVectors = () => ({});
const mapsOf = (c: { maps: 'auto' | readonly string[] }) => c.maps;

export const segLinearProtocol = defineSegProtocol({
  name: 'seg-linear',
  kind: 'segmentation',
  description: 'linear decoder (1×1 conv per map, upsampled and summed) on frozen multi-block grids, lr chosen on val by (Dice+Jaccard)/2',
  options: SegDecoderOptionsSchema,
  mainScore: 'diceJaccard',
  notApplicable: notForClassification,
  featureSets: noVectors,
  maps: mapsOf,
  run: decoderProtocol('linear') as (input: SegRunInput<z.infer<typeof SegDecoderOptionsSchema>>) => Promise<SegProtocolOutput>,
});

export const segUnetProtocol = defineSegProtocol({
  name: 'seg-unet',
  kind: 'segmentation',
  description: 'U-Net decoder (conv+BN+ReLU blocks, skips from the last blocks) on frozen multi-block grids, lr chosen on val by (Dice+Jaccard)/2',
  options: SegUnetOptionsSchema,
  mainScore: 'diceJaccard',
  notApplicable: notForClassification,
  featureSets: noVectors,
  maps: mapsOf,
  run: decoderProtocol('unet'),
});

/** n labelled training cases × tries: the lr grid is refitted per try, chosen on the full val split, scored on test. */
async function runSegFewShot(input: SegRunInput<SegFewShotConfig>): Promise<SegProtocolOutput> {
  const c = input.config;
  const train = input.splits.train!;
  const test = input.splits.test!;
  checkDecoderFits(c.decoder, train.shapes, input.layout.size, input.maps, c.widths);
  const nCases = train.cases.length;
  const points: { protocol: string; shots: number; tries: { seed: number; cases: string[]; chosen: Record<string, unknown>; metrics: Record<string, number | null> }[]; mean: Record<string, number | null>; sd: Record<string, number | null> }[] = [];
  const skipped: { shots: number; reason: string }[] = [];
  let trainSeconds = 0;
  for (const n of c.shots) {
    if (n > nCases) {
      skipped.push({ shots: n, reason: `${input.dataset}/train has ${nCases} labelled cases, fewer than n=${n}` });
      continue;
    }
    const tries = [];
    for (let t = 0; t < c.tries; t++) {
      const seed = deriveSeed(input.seed, `seg-fewshot n=${n} try=${t}`);
      const rng = createRng(seed);
      const order = Array.from({ length: nCases }, (_, i) => i);
      for (let i = nCases - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      const chosenCases = order.slice(0, n).sort((a, b) => a - b);
      const keep = Int32Array.from(Array.from(train.items.owner.keys()).filter((i) => chosenCases.includes(train.items.owner[i])));
      const fit = await fitGrid({ ...input, config: c }, c.decoder, seed, keep);
      trainSeconds += fit.trainSeconds;
      let cases: ScoredCase[];
      try {
        cases = await predictAndScore(fit.engine, test.cases, test.items, test.grids, test.shapes, input.layout, { emptyTruth: c.emptyTruth, batchSize: c.batchSize });
      } finally {
        await fit.engine.dispose();
      }
      const m = aggregate(cases, input.classes);
      const metrics: Record<string, number | null> = { diceJaccard: m.diceJaccard, dice: m.dice, iou: m.iou };
      tries.push({ seed, cases: chosenCases.map((i) => train.cases[i].id), chosen: fit.candidates[fit.best].params, metrics });
    }
    const keys = ['diceJaccard', 'dice', 'iou'];
    const mean: Record<string, number | null> = {};
    const sd: Record<string, number | null> = {};
    for (const k of keys) {
      const xs = tries.map((t) => t.metrics[k]);
      if (xs.some((x) => x === null)) {
        mean[k] = sd[k] = null;
        continue;
      }
      const v = xs as number[];
      const mu = v.reduce((a, b) => a + b, 0) / v.length;
      mean[k] = mu;
      sd[k] = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / (v.length - 1)) : 0;
    }
    // `protocol` labels the curve (the site's few-shot figure draws one line per decoder).
    points.push({ protocol: `seg-${c.decoder}`, shots: n, tries, mean, sd });
  }
  if (points.length === 0) throw new MedprobeError(`${input.dataset}: every few-shot n exceeds the ${nCases} labelled training cases`, { hint: 'lower `shots`' });
  const head = points[points.length - 1];
  return {
    config: { ...configOf(c.decoder, c, input), shots: c.shots, tries: c.tries, draw: 'n training cases (images or volumes) per try, seeded; lr chosen on the full val split' },
    selection: { metric: 'diceJaccard', split: 'val', chosen: { shots: head.shots, summary: 'mean over tries' }, candidates: points.map((p) => ({ params: { shots: p.shots }, score: p.mean.diceJaccard })) },
    metrics: head.mean,
    cases: [],
    extra: { fewShot: { points, skipped } },
    wallSeconds: { train: trainSeconds },
  };
}

export const segFewShotProtocol = defineSegProtocol({
  name: 'seg-fewshot',
  kind: 'segmentation',
  description: 'few-shot segmentation: n labelled training images or volumes × tries, decoder lr chosen on val, mean ± sd of test (Dice+Jaccard)/2',
  options: SegFewShotOptionsSchema,
  mainScore: 'diceJaccard',
  notApplicable: notForClassification,
  featureSets: noVectors,
  maps: mapsOf,
  run: runSegFewShot,
});
