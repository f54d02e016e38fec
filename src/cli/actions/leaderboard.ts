import path from 'node:path';
import { buildLeaderboard } from '../../results/leaderboard.js';
import { loadResults } from '../../results/store.js';
import type { Result } from '../../results/schema.js';
import { leaderboardMarkdown } from '../../report/markdown.js';
import { writeLeaderboardExports } from '../../report/exports.js';
import type { LeaderboardFlags } from '../commands/leaderboard.js';

/** Print the leaderboard of `results` (Markdown, or JSON with `json`) and write leaderboard.{md,json,csv} into `dir`. */
export async function printLeaderboardFor(dir: string, results: readonly Result[], opts: { metric?: string; segmentationMetric?: string; protocol?: string; json?: boolean } = {}): Promise<void> {
  const lb = buildLeaderboard(results, { metric: opts.metric, segmentationMetric: opts.segmentationMetric, protocol: opts.protocol });
  process.stdout.write(opts.json ? JSON.stringify(lb, null, 2) + '\n' : leaderboardMarkdown(lb) + '\n');
  const paths = await writeLeaderboardExports(lb, dir);
  process.stderr.write(`leaderboard written to ${path.relative(process.cwd(), paths.md) || paths.md}\n`);
}

export async function leaderboardCommand(dir: string | undefined, o: LeaderboardFlags): Promise<void> {
  const resultsDir = path.resolve(dir ?? 'results');
  await printLeaderboardFor(resultsDir, await loadResults(resultsDir), o);
}
