/**
 * npm run bench:seg-suite — where a segmentation suite's wall time goes: feature extraction (per
 * split, once for every decoder), decoder training (every lr of the grid), validation scoring,
 * test scoring, and the rest (start-up, hashing, planning, writing). Runs the suite in a fresh
 * temporary cache and results folder, so nothing is reused, and reads the split from each
 * result's provenance.wallSeconds. No peer: this is a breakdown of one run, not a speed claim.
 *
 * Run: npm run bench:seg-suite -- [suite.yaml] [--epochs N]
 *   default suite: examples/seg-drive.yaml (needs ../shared/data/drive; skips, saying so, without it)
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSuite } from '../src/run/suite.js';
import { runSuite } from '../src/run/runner.js';
import { flag } from './peer.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
const suiteFile = positional[0] ?? path.join(here, '../examples/seg-drive.yaml');
const loaded = await loadSuite(suiteFile);
for (const d of loaded.suite.datasets) {
  if (d.source !== 'segmentation') continue;
  const root = path.resolve(loaded.baseDir, d.root);
  if (!(await fs.stat(root).catch(() => null))) {
    console.log(`bench:seg-suite: skipped — ${d.name}'s data is not at ${root} (see docs/results/segmentation.md)`);
    process.exit(0);
  }
}
const epochs = flag('epochs', 0);
if (epochs > 0) for (const c of Object.values(loaded.suite.protocols)) if (c && 'epochs' in c) (c as { epochs: number }).epochs = epochs;

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-bench-seg-'));
try {
  const t0 = performance.now();
  const summary = await runSuite({ suite: loaded, cacheDir: path.join(tmp, 'cache'), resultsDir: path.join(tmp, 'results'), log: () => {} });
  const total = (performance.now() - t0) / 1000;
  const parts = { extraction: 0, training: 0, validation: 0, 'test scoring': 0 };
  const extracted = new Set<string>();
  for (const { result } of summary.results) {
    const w = result.provenance.wallSeconds;
    for (const [k, v] of Object.entries(w)) {
      // each split's extraction is shared by every decoder of the dataset: count it once
      if (k.startsWith('extract_') && !extracted.has(`${result.dataset.name}/${k}`)) (extracted.add(`${result.dataset.name}/${k}`), (parts.extraction += v));
    }
    parts.training += w.train ?? 0;
    parts.validation += w.validate ?? 0;
    parts['test scoring'] += w.test ?? 0;
  }
  const rest = total - Object.values(parts).reduce((a, b) => a + b, 0);
  console.log(`bench:seg-suite ${path.relative(process.cwd(), suiteFile)}${epochs ? ` (epochs ${epochs})` : ''}: ${summary.results.length} result(s), ${total.toFixed(1)} s wall, load average ${os.loadavg()[0].toFixed(2)} at the end, ${os.availableParallelism()} cores`);
  console.log('\n| part | seconds | share |\n|---|---|---|');
  for (const [k, v] of [...Object.entries(parts), ['rest (start-up, hashing, planning, writing)', rest] as const]) console.log(`| ${k} | ${v.toFixed(1)} | ${((100 * v) / total).toFixed(1)} % |`);
  for (const { result } of summary.results) {
    const w = result.provenance.wallSeconds;
    console.log(`\n${result.dataset.name} · ${result.protocol.name}: training ${(w.train ?? 0).toFixed(1)} s over ${result.selection.candidates.length} lr(s), validation ${(w.validate ?? 0).toFixed(1)} s, test ${(w.test ?? 0).toFixed(1)} s; diceJaccard ${result.metrics.diceJaccard?.toFixed(4)}`);
  }
} finally {
  await fs.rm(tmp, { recursive: true, force: true });
}
