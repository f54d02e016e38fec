import { quickstartSuite } from '../../run/quickstart.js';
import { runSuite } from '../../run/runner.js';
import { loadResults } from '../../results/store.js';
import { printLeaderboardFor } from './leaderboard.js';
import type { QuickstartFlags } from '../commands/quickstart.js';

export async function quickstartCommand(o: QuickstartFlags): Promise<void> {
  const suite = await quickstartSuite({ dataDir: o.dataDir, model: o.model, cacheDir: o.cacheDir, resultsDir: o.out });
  const summary = await runSuite({ suite });
  await printLeaderboardFor(summary.resultsDir, await loadResults(summary.resultsDir));
}
