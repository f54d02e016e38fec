/**
 * npm run bench:all — every performance figure of docs/results/performance.md in one command:
 * bench:extract, bench:probe, bench:knn and bench:decoder, one after another, each alternating
 * medprobe with its PyTorch peer in the same run. Flags (e.g. --threads 2) go to every bench.
 * `--out FILE` also writes the combined output there (the tables are Markdown).
 *
 * Run: npm run bench:all -- [--threads N] [--out docs/results/performance-run.md]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args.splice(outAt, 2)[1] : undefined;
const started = new Date().toISOString();
let text = `bench:all started ${started}\n`;
for (const bench of ['extract', 'probe', 'knn', 'decoder']) {
  console.log(`\n## bench:${bench}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, `${bench}.ts`), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 });
  process.stdout.write(r.stdout);
  text += `\n## bench:${bench}\n${r.stdout}`;
  if (r.status !== 0) {
    console.error(`bench:${bench} failed (exit ${r.status})`);
    process.exitCode = 1;
  }
}
text += `\nbench:all finished ${new Date().toISOString()}\n`;
if (out) writeFileSync(out, text);
