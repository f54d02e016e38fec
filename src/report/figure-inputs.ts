import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { MedprobeError } from '../util/errors.js';
import type { Result } from '../results/schema.js';
import { formatParams } from './format.js';

/**
 * Shapes the site reads from `result.extra` and from dataset side files. The result schema keeps
 * `extra` open (`Record<string, unknown>`); these are the keys the site understands, validated
 * here so a malformed table fails with the file named instead of drawing a wrong figure.
 */

/**
 * `result.extra.fewShot`, in either of two shapes:
 * - simple: `{ metric, points: [{ shots, mean, sd, runs? }] }`, one curve;
 * - the few-shot protocol's own output (src/protocols/fewshot.ts `FewShotCurve`):
 *   `{ points: [{ protocol, shots, mean: {metric: v}, sd: {metric: v}, tries? }] }`, one curve per
 *   inner protocol (knn, linear).
 * `shots` is the number of labelled examples per class; `mean`/`sd` summarise the test metric over
 * random draws of the support set.
 */
export const FewShotSimpleSchema = z.object({
  metric: z.string(),
  points: z
    .array(z.object({ shots: z.number().positive(), mean: z.number(), sd: z.number().nonnegative(), runs: z.number().int().positive().optional() }))
    .min(1),
});
export const FewShotProtocolSchema = z.object({
  points: z.array(
    z.object({
      protocol: z.string(),
      shots: z.number().positive(),
      mean: z.record(z.string(), z.number().nullable()),
      sd: z.record(z.string(), z.number().nullable()),
      tries: z.array(z.unknown()).optional(),
    }),
  ),
});
export type FewShotExtra = z.infer<typeof FewShotSimpleSchema>;

/** One drawable curve; `label` names the inner protocol ('' for the simple shape). sd null: no band. */
export interface FewShotSeries {
  label: string;
  metric: string;
  points: { shots: number; mean: number; sd: number | null; runs?: number }[];
}

/** `result.extra.overlays`: PNG paths relative to the folder of the result file. */
export const OverlaysExtraSchema = z.array(z.string().min(1));

/**
 * A leakage check summary (`result.extra.leakage`, or `leakage` in a dataset side file):
 * how near-duplicates were looked for and how many cross split boundaries. `pairs` counts
 * duplicates per split pair, e.g. `{ "train/test": 3 }`.
 */
export const LeakageSummarySchema = z.object({
  method: z.string(),
  threshold: z.number().optional(),
  checked: z.number().int().nonnegative().optional(),
  crossSplitDuplicates: z.number().int().nonnegative(),
  pairs: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** Patients found in more than one split; absent when the dataset has no patient ids. */
  patientOverlap: z.number().int().nonnegative().optional(),
  /** Images that could not be hashed. */
  failures: z.number().int().nonnegative().optional(),
  notes: z.string().optional(),
});
export type LeakageSummary = z.infer<typeof LeakageSummarySchema>;

/** `checkLeakage`'s report (src/data/leakage/check.ts), accepted as written and summarised. */
const LeakageReportSchema = z.object({
  threshold: z.number(),
  hashed: z.number().int().nonnegative(),
  pairs: z.array(z.unknown()),
  counts: z.record(z.string(), z.number().int().nonnegative()),
  patientOverlap: z.array(z.unknown()),
  patientIdsAvailable: z.boolean(),
  failures: z.array(z.unknown()),
});

const LeakageInputSchema = z.union([
  LeakageSummarySchema,
  LeakageReportSchema.transform(
    (r): LeakageSummary => ({
      method: `perceptual hash (pHash), Hamming distance ≤ ${r.threshold} of 64 bits`,
      threshold: r.threshold,
      checked: r.hashed,
      crossSplitDuplicates: r.pairs.length,
      pairs: r.counts,
      ...(r.patientIdsAvailable ? { patientOverlap: r.patientOverlap.length } : {}),
      failures: r.failures.length,
    }),
  ),
]);

/**
 * `<results>/_datasets/<any>.json`: what a result file cannot say about a dataset. Every field but
 * `name` is optional; result files supply task, modality, split sizes and preprocessing.
 */
export const DatasetInfoSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  licence: z.string().optional(),
  citation: z.string().optional(),
  url: z.string().optional(),
  modality: z.string().optional(),
  leakage: LeakageInputSchema.optional(),
});
export type DatasetInfo = z.infer<typeof DatasetInfoSchema>;

function invalid(what: string, file: string, err: z.ZodError): MedprobeError {
  const issue = err.issues[0];
  return new MedprobeError(`invalid ${what} in ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
    file,
    hint: 'see docs/site.md for the expected shape',
  });
}

/** Curves in `result.extra.fewShot`, for `preferredMetric` when the protocol shape carries several. */
export function fewShotOf(r: Result, file: string, preferredMetric = 'auroc'): FewShotSeries[] {
  const raw = r.extra?.fewShot;
  if (raw === undefined) return [];
  const simple = FewShotSimpleSchema.safeParse(raw);
  if (simple.success) return [{ label: '', metric: simple.data.metric, points: [...simple.data.points].sort((a, b) => a.shots - b.shots) }];
  const proto = FewShotProtocolSchema.safeParse(raw);
  if (!proto.success) throw invalid('extra.fewShot', file, simple.error);
  const metrics = [...new Set(proto.data.points.flatMap((p) => Object.keys(p.mean)))];
  const metric = metrics.includes(preferredMetric) ? preferredMetric : metrics[0];
  if (metric === undefined) return [];
  const byLabel = new Map<string, FewShotSeries>();
  for (const p of proto.data.points) {
    const mean = p.mean[metric];
    if (mean === null || mean === undefined) continue;
    const series = byLabel.get(p.protocol) ?? { label: p.protocol, metric, points: [] };
    byLabel.set(p.protocol, series);
    series.points.push({ shots: p.shots, mean, sd: p.sd[metric] ?? null, ...(p.tries ? { runs: p.tries.length } : {}) });
  }
  for (const s of byLabel.values()) s.points.sort((a, b) => a.shots - b.shots);
  return [...byLabel.values()].filter((s) => s.points.length > 0);
}

export function overlaysOf(r: Result, file: string): string[] {
  if (r.extra?.overlays === undefined) return [];
  const p = OverlaysExtraSchema.safeParse(r.extra.overlays);
  if (!p.success) throw invalid('extra.overlays', file, p.error);
  return p.data;
}

export function leakageOf(r: Result, file: string): LeakageSummary | undefined {
  if (r.extra?.leakage === undefined) return undefined;
  const p = LeakageInputSchema.safeParse(r.extra.leakage);
  if (!p.success) throw invalid('extra.leakage', file, p.error);
  return p.data;
}

/** Dataset side files in `<results>/_datasets/*.json`; none is fine. */
export async function loadDatasetInfos(resultsDir: string): Promise<DatasetInfo[]> {
  const dir = path.join(resultsDir, '_datasets');
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  } catch {
    return [];
  }
  const out: DatasetInfo[] = [];
  for (const n of names) {
    const file = path.join(dir, n);
    let raw: unknown;
    try {
      raw = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (e) {
      throw new MedprobeError(`dataset info ${file} is not valid JSON: ${(e as Error).message.split('\n')[0]}`, { file, hint: 'fix or delete it' });
    }
    const p = DatasetInfoSchema.safeParse(raw);
    if (!p.success) throw invalid('dataset info', file, p.error);
    out.push(p.data);
  }
  return out;
}

const LR_KEYS = ['lr', 'learningRate', 'learning_rate'];

/** A linear-probe candidate as the grid figure sees it: head family (all params but lr), lr, val score. */
export interface GridPoint {
  family: string;
  /** Every hyperparameter but the learning rate. */
  params: Record<string, unknown>;
  lr: number;
  score: number;
  /** The candidate the protocol chose (`selection.chosen`): not always the highest val score. */
  chosen?: true;
}

/** Candidates that have a numeric learning rate and a score; others cannot be placed on the lr axis. */
export function gridPointsOf(r: Result): GridPoint[] {
  const out: GridPoint[] = [];
  for (const c of r.selection.candidates) {
    const lrKey = LR_KEYS.find((k) => typeof c.params[k] === 'number');
    if (!lrKey || c.score === null || !Number.isFinite(c.score)) continue;
    const lr = c.params[lrKey] as number;
    if (!(lr > 0)) continue;
    const params = Object.fromEntries(Object.keys(c.params).filter((k) => k !== lrKey).sort().map((k) => [k, c.params[k]]));
    const chosen = Object.keys(r.selection.chosen).length > 0 && Object.entries(r.selection.chosen).every(([k, v]) => JSON.stringify(c.params[k]) === JSON.stringify(v));
    out.push({ family: formatParams(params) || 'all', params, lr, score: c.score, ...(chosen ? { chosen: true as const } : {}) });
  }
  return out;
}
