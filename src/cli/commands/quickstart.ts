import type { Command } from 'commander';
import { quickstartSuite, QUICKSTART_MODEL } from '../../run/quickstart.js';
import { runSuite } from '../../run/runner.js';
import { loadResults } from '../../results/store.js';
import { printLeaderboardFor } from './leaderboard.js';

export function registerQuickstart(program: Command): void {
  program
    .command('quickstart')
    .description(`PneumoniaMNIST × ${QUICKSTART_MODEL}: pull both (MD5/sha256-checked) into the cache, run kNN + linear probe, print the leaderboard`)
    .option('--data-dir <dir>', 'use a local pneumoniamnist.npz (a folder holding it, or the file) instead of downloading')
    .option('--model <path>', 'use a local model card or hub-layout folder instead of downloading dinov2-small')
    .option('--cache-dir <dir>', 'cache root (default $MEDPROBE_CACHE or ~/.cache/medprobe)')
    .option('--results <dir>', 'results folder', 'medprobe-results/quickstart')
    .action(async (o: { dataDir?: string; model?: string; cacheDir?: string; results: string }) => {
      const suite = await quickstartSuite({ dataDir: o.dataDir, model: o.model, cacheDir: o.cacheDir, resultsDir: o.results });
      const summary = await runSuite({ suite });
      await printLeaderboardFor(summary.resultsDir, await loadResults(summary.resultsDir));
    });
}
