import path from 'node:path';
import { EMBEDDED_DEFAULT, quickstartSuite, usesEmbeddedDefault } from '../../run/quickstart.js';
import { runSuite } from '../../run/runner.js';
import { loadResults } from '../../results/store.js';
import { printLeaderboardFor } from './leaderboard.js';
import type { QuickstartFlags } from '../commands/quickstart.js';

/** A path relative to the working directory when it is below it, else absolute. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

export async function quickstartCommand(o: QuickstartFlags): Promise<void> {
  const opts = { dataDir: o.dataDir, size: o.size, download: o.download, model: o.model, cacheDir: o.cacheDir, resultsDir: o.out };
  const embedded = usesEmbeddedDefault(opts);
  if (embedded.data && embedded.model) {
    process.stderr.write(
      `quickstart: the embedded default, offline — ${EMBEDDED_DEFAULT.description}, shipped in the package (attribution: ${shown(EMBEDDED_DEFAULT.attribution)}).\n` +
        'quickstart: other backbones with --model <catalog id | hub id | card> (e.g. --model dinov2-small downloads it), other data with --data-dir.\n',
    );
  } else if (embedded.data || embedded.model) {
    process.stderr.write(`quickstart: ${embedded.data ? 'data' : 'model'} from the embedded default (${EMBEDDED_DEFAULT.description.split(' × ')[embedded.data ? 1 : 0]})\n`);
  }
  const suite = await quickstartSuite(opts);
  const summary = await runSuite({ suite });
  await printLeaderboardFor(summary.resultsDir, await loadResults(summary.resultsDir));
}
