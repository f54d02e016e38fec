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

/** `0.912 (0.890–0.931)`; missing cells are `—`, never 0. */
export function formatCell(c: LeaderboardCell | null): string {
  if (!c || c.value === null) return '—';
  return c.ci ? `${formatMetric(c.value)} (${formatMetric(c.ci.low)}–${formatMetric(c.ci.high)})` : formatMetric(c.value);
}
