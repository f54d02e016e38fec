import type { TaskInfo } from '../data/types.js';
import { labelWidth as labelWidthOf } from '../data/types.js';
import { MedprobeError } from '../util/errors.js';
import { createRng, deriveSeed, type Rng } from '../util/random.js';
import type { MaybeMetric } from './auroc.js';
import { prepareClassification } from './evaluate-classification.js';

/**
 * Percentile bootstrap confidence intervals.
 *
 * A replicate draws n rows with replacement — within each class when stratified, so every
 * replicate keeps the class counts (and a binary AUROC stays defined). Replicates where the
 * metric is undefined (null) are skipped and counted. The interval is the (1−level)/2 and
 * (1+level)/2 quantiles of the replicate values, linearly interpolated as numpy.percentile's
 * default. The same seed draws the same replicates, so the same inputs give the same CI.
 */

/** Matches ConfidenceIntervalSchema in results/schema.ts; `resamples` counts the replicates used. */
export interface ConfidenceInterval {
  low: number;
  high: number;
  level: number;
  /** Replicates with a defined metric value (the ones the quantiles come from). */
  resamples: number;
  /** Replicates drawn whose metric was undefined. */
  skipped: number;
}

/** A metric of labels [n × labelWidth] and scores [n × scoreWidth], applied to each materialised replicate. */
export type MetricFn = (labels: Int32Array, scores: Float32Array) => MaybeMetric;

/**
 * A metric that scores a replicate from per-row multiplicities (row i drawn counts[i] times)
 * after one preparation (sorting) of the full data — O(n) per replicate instead of O(n log n).
 */
export interface ResamplingMetric {
  prepare(labels: Int32Array, scores: Float32Array): (counts: ArrayLike<number>) => MaybeMetric;
}

export interface BootstrapOptions {
  /** Replicates to draw (default 1000). */
  resamples?: number;
  /** Two-sided coverage (default 0.95). */
  level?: number;
  seed: number;
  /** Resample within each class (default: true for single-label data, where labelWidth is 1). */
  stratified?: boolean;
  /** Integers per row of `labels` (default 1). */
  labelWidth?: number;
  /** Values per row of `scores` (default: scores.length / rows). */
  scoreWidth?: number;
}

interface Plan {
  n: number;
  resamples: number;
  level: number;
  /** Row indices of each stratum (one stratum of all rows when not stratified). */
  strata: Int32Array[];
  rng: Rng;
}

function plan(labels: Int32Array, opts: BootstrapOptions, labelWidth: number): Plan {
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new MedprobeError(`bootstrap resamples must be a positive integer, got ${resamples}`, { hint: 'set bootstrap.resamples (e.g. 1000), or 0 in the suite to turn CIs off' });
  }
  if (!(level > 0 && level < 1)) {
    throw new MedprobeError(`bootstrap level must be in (0, 1), got ${level}`, { hint: 'use e.g. 0.95 for a 95% interval' });
  }
  if (labels.length % labelWidth !== 0) {
    throw new MedprobeError(`${labels.length} label values is not a multiple of labelWidth ${labelWidth}`, { hint: 'labels are row-major [n × labelWidth]' });
  }
  const n = labels.length / labelWidth;
  const stratified = opts.stratified ?? labelWidth === 1;
  if (stratified && labelWidth !== 1) {
    throw new MedprobeError('stratified bootstrap needs one class label per row', { hint: 'use stratified: false for multi-label data' });
  }
  let strata: Int32Array[];
  if (stratified) {
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const members = byClass.get(labels[i]);
      if (members) members.push(i);
      else byClass.set(labels[i], [i]);
    }
    strata = [...byClass.keys()].sort((a, b) => a - b).map((c) => Int32Array.from(byClass.get(c)!));
  } else {
    strata = [Int32Array.from({ length: n }, (_, i) => i)];
  }
  return { n, resamples, level, strata, rng: createRng(deriveSeed(opts.seed, 'bootstrap')) };
}

/** Fill `out` (length n) with one replicate's row indices. */
function draw(p: Plan, out: Int32Array): void {
  const next = p.rng.next;
  let k = 0;
  for (const members of p.strata) {
    const m = members.length;
    // Same value as rng.int(m); calling next directly keeps this hot loop free of an extra closure.
    for (let j = 0; j < m; j++) out[k++] = members[Math.floor(next() * m)];
  }
}

/** numpy.percentile(values, 100·q) with the default linear interpolation; `sorted` ascending. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function interval(values: number[], level: number, skipped: number): ConfidenceInterval | null {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const alpha = (1 - level) / 2;
  return { low: quantileSorted(s, alpha), high: quantileSorted(s, 1 - alpha), level, resamples: values.length, skipped };
}

function isResampling(m: MetricFn | ResamplingMetric): m is ResamplingMetric {
  return typeof m === 'object' && m !== null && typeof (m as ResamplingMetric).prepare === 'function';
}

/**
 * Percentile bootstrap CI of one metric. `metric` is either a plain function, called on each
 * materialised replicate, or a ResamplingMetric (fast: no per-replicate sort). Both draw the
 * same replicates for the same seed, so they give identical intervals. Null when the metric
 * is undefined on every replicate.
 */
export function bootstrapCI(
  metric: MetricFn | ResamplingMetric,
  labels: Int32Array,
  scores: Float32Array,
  opts: BootstrapOptions,
): ConfidenceInterval | null {
  const lw = opts.labelWidth ?? 1;
  const p = plan(labels, opts, lw);
  const sw = opts.scoreWidth ?? (p.n === 0 ? 1 : scores.length / p.n);
  if (!Number.isInteger(sw) || scores.length !== p.n * sw) {
    throw new MedprobeError(`${scores.length} scores do not form ${p.n} rows${opts.scoreWidth ? ` of ${opts.scoreWidth}` : ''}`, { hint: 'scores are row-major [n × scoreWidth]' });
  }
  if (p.n === 0) return null;
  const idx = new Int32Array(p.n);
  const values: number[] = [];
  let skipped = 0;
  const keep = (v: MaybeMetric) => {
    if (v === null || Number.isNaN(v)) skipped++;
    else values.push(v);
  };
  if (isResampling(metric)) {
    const score = metric.prepare(labels, scores);
    const counts = new Uint32Array(p.n);
    for (let r = 0; r < p.resamples; r++) {
      draw(p, idx);
      counts.fill(0);
      for (let j = 0; j < p.n; j++) counts[idx[j]]++;
      keep(score(counts));
    }
  } else {
    const l = new Int32Array(labels.length);
    const s = new Float32Array(scores.length);
    for (let r = 0; r < p.resamples; r++) {
      draw(p, idx);
      for (let j = 0; j < p.n; j++) {
        const i = idx[j];
        if (lw === 1) l[j] = labels[i];
        else l.set(labels.subarray(i * lw, (i + 1) * lw), j * lw);
        if (sw === 1) s[j] = scores[i];
        else s.set(scores.subarray(i * sw, (i + 1) * sw), j * sw);
      }
      keep(metric(l, s));
    }
  }
  return interval(values, p.level, skipped);
}

/** One key of evaluateClassification as a ResamplingMetric, for bootstrapCI's fast path. */
export function classificationMetric(task: TaskInfo, key: string): ResamplingMetric {
  return {
    prepare(labels, scores) {
      const prepared = prepareClassification(task, labels, scores);
      return (counts) => prepared.evaluate(counts)[key] ?? null;
    },
  };
}

/**
 * CIs for every metric evaluateClassification returns, all from the same replicates
 * (stratified by class for single-label tasks unless opts.stratified says otherwise).
 * Metrics undefined on every replicate are left out.
 */
export function bootstrapClassification(
  task: TaskInfo,
  labels: Int32Array,
  scores: Float32Array,
  opts: Omit<BootstrapOptions, 'labelWidth' | 'scoreWidth'>,
): Record<string, ConfidenceInterval> {
  const prepared = prepareClassification(task, labels, scores);
  const p = plan(labels, opts, labelWidthOf(task));
  const idx = new Int32Array(p.n);
  const counts = new Uint32Array(p.n);
  const values = new Map<string, number[]>();
  const skipped = new Map<string, number>();
  for (let r = 0; r < p.resamples && p.n > 0; r++) {
    draw(p, idx);
    counts.fill(0);
    for (let j = 0; j < p.n; j++) counts[idx[j]]++;
    for (const [key, v] of Object.entries(prepared.evaluate(counts))) {
      if (!values.has(key)) {
        values.set(key, []);
        skipped.set(key, 0);
      }
      if (v === null || Number.isNaN(v)) skipped.set(key, skipped.get(key)! + 1);
      else values.get(key)!.push(v);
    }
  }
  const out: Record<string, ConfidenceInterval> = {};
  for (const [key, vs] of values) {
    const ci = interval(vs, p.level, skipped.get(key)!);
    if (ci) out[key] = ci;
  }
  return out;
}
