import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { LEADERBOARD_SCHEMA_VERSION, type Leaderboard } from '../results/leaderboard.js';
import { csvField } from './escape.js';
import { leaderboardMarkdown } from './markdown.js';

export const LEADERBOARD_CSV_COLUMNS = [
  'schema', 'protocol', 'metric', 'model', 'dataset', 'modality', 'task_kind', 'dims', 'value', 'ci_low', 'ci_high', 'ci_level', 'rank',
] as const;
export const RANKING_CSV_COLUMNS = ['schema', 'protocol', 'metric', 'position', 'model', 'mean_rank', 'tasks_ranked', 'borda'] as const;

/**
 * Long-format cells, one row per (protocol, model, dataset) that has a result file. Missing
 * metric values are empty fields, never 0; pairs with no result file have no row.
 */
export function leaderboardCsv(lb: Leaderboard): string {
  const rows: string[] = [LEADERBOARD_CSV_COLUMNS.join(',')];
  for (const tb of lb.protocols)
    tb.models.forEach((model, m) =>
      tb.tasks.forEach((task, t) => {
        const c = tb.cells[m][t];
        if (!c) return;
        rows.push(
          [LEADERBOARD_SCHEMA_VERSION, tb.protocol, tb.metric, model, task.dataset, task.modality, task.kind, task.dims, c.value, c.ci?.low, c.ci?.high, c.ci?.level, c.rank]
            .map(csvField)
            .join(','),
        );
      }),
    );
  return rows.join('\n') + '\n';
}

export function rankingCsv(lb: Leaderboard): string {
  const rows: string[] = [RANKING_CSV_COLUMNS.join(',')];
  for (const tb of lb.protocols)
    tb.ranking.forEach((r, i) =>
      rows.push([LEADERBOARD_SCHEMA_VERSION, tb.protocol, tb.metric, i + 1, r.model, r.meanRank, r.tasksRanked, r.borda].map(csvField).join(',')),
    );
  return rows.join('\n') + '\n';
}

export interface LeaderboardExportPaths {
  json: string;
  csv: string;
  rankingCsv: string;
  md: string;
}

/** Write leaderboard.json / leaderboard.csv / leaderboard-ranking.csv / leaderboard.md, each atomically. */
export async function writeLeaderboardExports(lb: Leaderboard, outDir: string): Promise<LeaderboardExportPaths> {
  const paths = {
    json: path.join(outDir, 'leaderboard.json'),
    csv: path.join(outDir, 'leaderboard.csv'),
    rankingCsv: path.join(outDir, 'leaderboard-ranking.csv'),
    md: path.join(outDir, 'leaderboard.md'),
  };
  await writeJsonAtomic(paths.json, lb);
  await writeFileAtomic(paths.csv, leaderboardCsv(lb));
  await writeFileAtomic(paths.rankingCsv, rankingCsv(lb));
  await writeFileAtomic(paths.md, leaderboardMarkdown(lb));
  return paths;
}
