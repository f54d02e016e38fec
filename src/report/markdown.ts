import { LEADERBOARD_SCHEMA_VERSION, type Leaderboard, type ProtocolTable } from '../results/leaderboard.js';
import { escapeMarkdownCell } from './escape.js';
import { formatBorda, formatCell, formatRank } from './format.js';

export const RANKING_NOTE =
  'Ranks are per task, 1 = best, ties share the average rank. A missing cell (—) is left out of that task’s ranking, never scored 0. ' +
  'Mean rank averages a model’s ranks over the tasks it has results for (n); Borda adds, per task, the number of models it beats (ties count half).';

function ciLevels(tb: ProtocolTable): string {
  const levels = new Set<number>();
  for (const row of tb.cells) for (const c of row) if (c?.ci) levels.add(c.ci.level);
  if (levels.size === 0) return 'no confidence intervals';
  return `${[...levels].map((l) => `${+(l * (l <= 1 ? 100 : 1)).toFixed(1)}%`).join(' / ')} bootstrap CI in parentheses`;
}

function tableMarkdown(tb: ProtocolTable): string {
  const dir = tb.lowerIsBetter ? 'lower is better' : 'higher is better';
  const head = ['Rank', 'Model', ...tb.tasks.map((t) => `${t.dataset} (${t.modality}, ${t.dims}D)`), 'Mean rank (n)', 'Borda'];
  const align = ['---:', '---', ...tb.tasks.map(() => '---:'), '---:', '---:'];
  const lines = [
    `## ${escapeMarkdownCell(tb.protocol)} — ${escapeMarkdownCell(tb.metric)} (${dir})`,
    '',
    `Test ${escapeMarkdownCell(tb.metric)}${tb.headline ? ` of ${escapeMarkdownCell(tb.headline)}` : ''}; ${ciLevels(tb)}.`,
    '',
    `| ${head.map(escapeMarkdownCell).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
  ];
  tb.ranking.forEach((r, m) => {
    const cells = [
      String(m + 1),
      escapeMarkdownCell(r.model),
      ...tb.cells[m].map(formatCell),
      `${formatRank(r.meanRank)} (${r.tasksRanked})`,
      formatBorda(r.borda),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  });
  return lines.join('\n');
}

/** The whole leaderboard as GitHub-flavoured Markdown: one section per protocol. */
export function leaderboardMarkdown(lb: Leaderboard): string {
  const parts = [`# medprobe leaderboard`, '', `<!-- schema: ${LEADERBOARD_SCHEMA_VERSION} -->`, ''];
  if (lb.protocols.length === 0) parts.push('No results.', '');
  for (const tb of lb.protocols) parts.push(tableMarkdown(tb), '');
  parts.push(`_${RANKING_NOTE}_`, '');
  return parts.join('\n');
}
