import type { Command } from 'commander';
import { jsonOption, metricOption } from '../flags.js';
import type { MetricName } from '../../metrics/names.js';

export interface LeaderboardFlags {
  metric?: MetricName;
  segmentationMetric?: MetricName;
  protocol?: string;
  json?: boolean;
}

export function registerLeaderboard(program: Command): void {
  const cmd = program
    .command('leaderboard [results]')
    .description('print the Markdown leaderboard of a results folder and write leaderboard.md/.json/.csv into it')
    .option('--protocol <name>', 'only this protocol');
  metricOption(cmd, 'classification');
  metricOption(cmd, 'segmentation');
  jsonOption(cmd, 'print the leaderboard JSON on stdout instead of Markdown');
  cmd.action(async (dir: string | undefined, o: LeaderboardFlags) => (await import('../actions/leaderboard.js')).leaderboardCommand(dir, o));
}
