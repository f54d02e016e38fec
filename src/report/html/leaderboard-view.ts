import type { Leaderboard, LeaderboardTask, ProtocolTable } from '../../results/leaderboard.js';
import { formatBorda, formatCi, formatMetric, formatRank } from '../format.js';

/**
 * One protocol table of the leaderboard page, as both the server-rendered HTML and the page
 * script (filtering, sorting) read it: ranks and formatted text come from the library, so the
 * page with and without JavaScript shows the same numbers.
 */
export interface ViewTable {
  protocol: string;
  metric: string;
  direction: 'higher' | 'lower';
  /** What a summarised protocol's number is (few-shot: protocol, shots, tries). */
  headline?: string;
  ciNote: string;
  columns: LeaderboardTask[];
  rows: ViewRow[];
}

export interface ViewRow {
  model: string;
  position: number;
  meanRank: number | null;
  meanRankText: string;
  borda: number;
  bordaText: string;
  cells: ({ value: number | null; text: string; ci?: string } | null)[];
}

export function ciNote(tb: ProtocolTable): string {
  const levels = new Set<number>();
  for (const row of tb.cells) for (const c of row) if (c?.ci) levels.add(c.ci.level);
  if (!levels.size) return 'no confidence intervals';
  return `${[...levels].map((l) => `${+(l * (l <= 1 ? 100 : 1)).toFixed(1)}%`).join(' / ')} bootstrap CI in parentheses`;
}

export function viewTables(lb: Leaderboard): ViewTable[] {
  return lb.protocols.map((tb) => ({
    protocol: tb.protocol,
    metric: tb.metric,
    direction: tb.lowerIsBetter ? 'lower' : 'higher',
    ...(tb.headline ? { headline: tb.headline } : {}),
    ciNote: ciNote(tb),
    columns: tb.tasks,
    rows: tb.ranking.map((r, m) => ({
      model: r.model,
      position: m + 1,
      meanRank: r.meanRank,
      meanRankText: `${formatRank(r.meanRank)} (${r.tasksRanked})`,
      borda: r.borda,
      bordaText: formatBorda(r.borda),
      cells: tb.cells[m].map((c) => (c ? { value: c.value, text: formatMetric(c.value), ...(c.ci ? { ci: formatCi(c.ci) } : {}) } : null)),
    })),
  }));
}
