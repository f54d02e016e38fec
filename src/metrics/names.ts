import { closeMatches } from '../util/close-matches.js';
import { MedprobeError } from '../util/errors.js';

/**
 * The metric vocabulary: every key a result's `metrics` may hold, with its range and direction.
 * One place, so that result validation (bounds), `--metric` parsing, the protocol registry's main
 * scores and the leaderboard's sort order all agree. Per-class entries are `<metric>/<class>`
 * (`auroc/pneumonia`, `dice/spleen`) and share their base metric's spec.
 */
export type TaskKind = 'classification' | 'segmentation';

export interface MetricSpec {
  /** Short label for tables and figures. */
  label: string;
  /** Closed range of valid values; a value outside it is a bug, never a result. */
  range: readonly [number, number];
  higherIsBetter: boolean;
  /** Task kinds whose results carry this metric. */
  kinds: readonly TaskKind[];
  description: string;
}

export const METRICS = {
  auroc: {
    label: 'AUROC',
    range: [0, 1],
    higherIsBetter: true,
    kinds: ['classification', 'segmentation'],
    description: 'area under the ROC curve (macro one-vs-rest for multi-class, mean over labels for multi-label; pixel-level for segmentation)',
  },
  accuracy: { label: 'ACC', range: [0, 1], higherIsBetter: true, kinds: ['classification'], description: 'accuracy (mean over labels for multi-label)' },
  balancedAccuracy: { label: 'BACC', range: [0, 1], higherIsBetter: true, kinds: ['classification'], description: 'balanced accuracy (mean per-class recall)' },
  macroF1: { label: 'macro F1', range: [0, 1], higherIsBetter: true, kinds: ['classification'], description: 'F1 averaged over classes or labels' },
  mcc: { label: 'MCC', range: [-1, 1], higherIsBetter: true, kinds: ['classification'], description: 'Matthews correlation coefficient' },
  dice: { label: 'Dice', range: [0, 1], higherIsBetter: true, kinds: ['segmentation'], description: 'Dice coefficient, mean over cases and foreground classes' },
  iou: { label: 'Jaccard', range: [0, 1], higherIsBetter: true, kinds: ['segmentation'], description: 'Jaccard index (IoU), mean over cases and foreground classes' },
  diceJaccard: {
    label: '(Dice+Jaccard)/2',
    range: [0, 1],
    higherIsBetter: true,
    kinds: ['segmentation'],
    description: 'mean of Dice and Jaccard, the reference study’s segmentation score',
  },
  dicePooled: { label: 'pooled Dice', range: [0, 1], higherIsBetter: true, kinds: ['segmentation'], description: 'Dice over all test pixels pooled' },
  iouPooled: { label: 'pooled Jaccard', range: [0, 1], higherIsBetter: true, kinds: ['segmentation'], description: 'Jaccard over all test pixels pooled' },
  pixelAccuracy: { label: 'pixel ACC', range: [0, 1], higherIsBetter: true, kinds: ['segmentation'], description: 'fraction of scored pixels labelled correctly' },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;

export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** The base metric of a result key: `auroc/pneumonia` → `auroc`; unknown keys → undefined. */
export function baseMetric(key: string): MetricName | undefined {
  const base = key.split('/')[0];
  return Object.hasOwn(METRICS, base) ? (base as MetricName) : undefined;
}

/** The spec of a result key, per-class keys included; undefined for a key outside the vocabulary. */
export function metricSpec(key: string): MetricSpec | undefined {
  const base = baseMetric(key);
  return base === undefined ? undefined : METRICS[base];
}

/**
 * Why a metric value is invalid, or null when it is valid. Null values (undefined metrics, e.g.
 * AUROC with one class present) are valid; NaN, ±Inf and out-of-range numbers are not.
 */
export function metricValueProblem(key: string, value: number | null): string | null {
  if (value === null) return null;
  if (!Number.isFinite(value)) return `${key} is ${value}, not a finite number`;
  const spec = metricSpec(key);
  if (!spec) return null;
  const [lo, hi] = spec.range;
  // A rounding hair (a mean of ones summing to 1 + 2e-16) is not an error; anything more is.
  const tol = 1e-9;
  return value < lo - tol || value > hi + tol ? `${key} = ${value} is outside its range [${lo}, ${hi}]` : null;
}

/** Parses a user-given metric name (`--metric`), optionally restricted to one task kind. */
export function parseMetricName(raw: string, kind?: TaskKind): MetricName {
  const allowed = METRIC_NAMES.filter((m) => !kind || (METRICS[m].kinds as readonly TaskKind[]).includes(kind));
  const byLower = allowed.find((m) => m.toLowerCase() === raw.trim().toLowerCase());
  if (byLower) return byLower;
  throw new MedprobeError(`unknown ${kind ? `${kind} ` : ''}metric "${raw}"`, {
    hint: `use one of ${allowed.join(', ')} (did you mean ${closeMatches(raw, allowed, 2).join(' or ')}?)`,
  });
}
