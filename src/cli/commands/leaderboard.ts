import type { Command } from 'commander';
import { jsonOption } from '../flags.js';

export interface LeaderboardFlags {
  metric: string;
  protocol?: string;
  json?: boolean;
}

export function registerLeaderboard(program: Command): void {
  const cmd = program
    .command('leaderboard [results]')
    .description('print the Markdown leaderboard of a results folder and write leaderboard.md/.json/.csv into it')
    .option('--metric <name>', 'classification metric to rank by', 'auroc')
    .option('--protocol <name>', 'only this protocol');
  jsonOption(cmd, 'print the leaderboard JSON on stdout instead of Markdown');
  cmd.action(async (dir: string | undefined, o: LeaderboardFlags) => (await import('../actions/leaderboard.js')).leaderboardCommand(dir, o));
}
