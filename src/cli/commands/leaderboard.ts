import path from 'node:path';
import type { Command } from 'commander';
import { buildLeaderboard } from '../../results/leaderboard.js';
import { loadResults } from '../../results/store.js';
import type { Result } from '../../results/schema.js';
import { leaderboardMarkdown } from '../../report/markdown.js';
import { writeLeaderboardExports } from '../../report/exports.js';

/** Print the Markdown leaderboard of `results` and write leaderboard.{md,json,csv} into `dir`. */
export async function printLeaderboardFor(dir: string, results: readonly Result[], opts: { metric?: string; protocol?: string } = {}): Promise<void> {
  const lb = buildLeaderboard(results, opts);
  process.stdout.write(leaderboardMarkdown(lb) + '\n');
  const paths = await writeLeaderboardExports(lb, dir);
  process.stderr.write(`leaderboard written to ${path.relative(process.cwd(), paths.md) || paths.md}\n`);
}

export function registerLeaderboard(program: Command): void {
  program
    .command('leaderboard [results]')
    .description('print the Markdown leaderboard of a results folder and write leaderboard.md/.json/.csv into it')
    .option('--metric <name>', 'classification metric to rank by', 'auroc')
    .option('--protocol <name>', 'only this protocol')
    .action(async (dir: string | undefined, o: { metric: string; protocol?: string }) => {
      const resultsDir = path.resolve(dir ?? 'results');
      await printLeaderboardFor(resultsDir, await loadResults(resultsDir), o);
    });
}
