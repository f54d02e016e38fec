import { SINGLE_FEATURE_SET } from '../protocols/linear/probe.js';
import type { LeaderboardCell } from '../results/leaderboard.js';

/** One formatting of numbers for Markdown, CSV-adjacent text and the site, so they agree. */
export function formatMetric(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

export function formatRank(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : v.toFixed(2);
}

/** Borda counts are multiples of 0.5 (ties score half); print them without trailing zeros. */
export function formatBorda(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** `(0.890–0.931)` */
export function formatCi(ci: { low: number; high: number }): string {
  return `(${formatMetric(ci.low)}–${formatMetric(ci.high)})`;
}

/** `0.912 (0.890–0.931)`; missing cells are `—`, never 0. */
export function formatCell(c: LeaderboardCell | null): string {
  if (!c || c.value === null) return '—';
  return c.ci ? `${formatMetric(c.value)} ${formatCi(c.ci)}` : formatMetric(c.value);
}

const GROUPED = new Intl.NumberFormat('en-US');

/**
 * A count for people: `410,208` below a million, `1.28 M` / `22.1 M` / `1.10 B` above
 * (three significant digits), so parameter and image counts compare at a glance.
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toPrecision(3)} B`;
  if (abs >= 1e6) return `${(n / 1e6).toPrecision(3)} M`;
  return GROUPED.format(n);
}

/** A hyperparameter value: numbers as written down to 0.01, smaller ones as `5e-4` (short axis ticks); lists and objects compact. */
export function formatParamValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) || Math.abs(v) >= 0.01 ? String(+v.toPrecision(6)) : (+v.toPrecision(3)).toExponential();
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return JSON.stringify(v) ?? String(v);
}

const PARAM_LABELS: Record<string, string> = { lr: 'lr', learningRate: 'lr', learning_rate: 'lr', weightDecay: 'weight decay', k: 'k', features: 'feature set', temperature: 'temperature' };

/**
 * Hyperparameters for people, never raw keys: `k 20`, `lr 5e-4 · weight decay 0 · feature set pooled`.
 * The linear probe's name for "the model's one feature" says nothing, so it is left out.
 */
export function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .filter(([k, v]) => !(k === 'features' && v === SINGLE_FEATURE_SET))
    .map(([k, v]) => `${PARAM_LABELS[k] ?? k.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} ${formatParamValue(v)}`)
    .join(' · ');
}

/**
 * The chosen configuration as a results-table cell: a summarised protocol's headline as it is
 * (`kNN at 64 shots per class, mean of 5 tries`), otherwise its scalar hyperparameters; nested
 * settings (a decoder's whole config) stay in the result JSON so the cell stays narrow.
 */
export function formatChosen(chosen: Record<string, unknown>): string {
  if (typeof chosen.headline === 'string') return chosen.headline;
  const scalar = Object.entries(chosen).filter(([, v]) => v === null || typeof v !== 'object');
  const text = formatParams(Object.fromEntries(scalar));
  const nested = Object.keys(chosen).length - scalar.length;
  return nested ? `${text ? `${text} · ` : ''}${nested} nested setting${nested === 1 ? '' : 's'} in the JSON` : text;
}
