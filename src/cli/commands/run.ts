import type { Command } from 'commander';
import { loadSuite } from '../../run/suite.js';
import { runSuite } from '../../run/runner.js';
import { loadResults } from '../../results/store.js';
import { printLeaderboardFor } from './leaderboard.js';

export function registerRun(program: Command): void {
  program
    .command('run <suite>')
    .description('extract (or reuse cached) features and run every model × dataset × protocol of a suite')
    .option('--cache-dir <dir>', 'feature cache and downloads (default $MEDPROBE_CACHE or ~/.cache/medprobe)')
    .option('--results <dir>', 'where result JSONs go (default: the suite\'s resultsDir or results/ beside it)')
    .action(async (file: string, o: { cacheDir?: string; results?: string }) => {
      const suite = await loadSuite(file);
      const summary = await runSuite({ suite, cacheDir: o.cacheDir, resultsDir: o.results });
      process.stderr.write(`features: ${summary.extractedSplits} split(s) extracted, ${summary.cachedSplits} from cache · results in ${summary.resultsDir}\n`);
      await printLeaderboardFor(summary.resultsDir, await loadResults(summary.resultsDir));
    });
}
