// CLI start-up: wall time of `medprobe --version`, `--help` and `run --help` (the built
// bin/medprobe.js, as users run it) against a bare `node -e ''` in the same rounds, alternating,
// so machine load hits every command alike. Prints medians, the time above bare Node, and the
// load average. Run: npm run build && npm run bench:cli [-- --rounds 15]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/medprobe.js');
if (!existsSync(path.join(root, 'dist/cli/main.js'))) {
  console.error('bench:cli: dist/ is missing — run `npm run build` first');
  process.exit(1);
}
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 11;

const commands: [string, string[]][] = [
  ['node -e \'\' (bare Node)', ['-e', '']],
  ['medprobe --version', [bin, '--version']],
  ['medprobe --help', [bin, '--help']],
  ['medprobe run --help', [bin, 'run', '--help']],
  ['medprobe report --help', [bin, 'report', '--help']],
];

function wallMs(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const times = commands.map(() => [] as number[]);
const loadBefore = os.loadavg()[0];
for (let r = 0; r < rounds; r++) {
  // Alternate the order each round so no command always runs first on a warm page cache.
  const order = r % 2 ? [...commands.keys()].reverse() : [...commands.keys()];
  for (const i of order) times[i].push(wallMs(commands[i][1]));
}
const bare = median(times[0]);
console.log(`CLI start-up, median of ${rounds} alternating rounds (Node ${process.versions.node}, ${os.availableParallelism()} cores, load average ${loadBefore.toFixed(1)} → ${os.loadavg()[0].toFixed(1)})`);
for (const [i, [label]] of commands.entries()) {
  const m = median(times[i]);
  console.log(`  ${label.padEnd(26)} ${m.toFixed(0).padStart(5)} ms${i === 0 ? '  (baseline)' : `  ${(m / bare).toFixed(2)}× bare Node, +${(m - bare).toFixed(0)} ms`}`);
}
const worst = Math.max(...times.slice(1).map(median));
console.log(`target: --help/--version under 500 ms; slowest median here ${worst.toFixed(0)} ms${worst - bare < 500 ? ` (medprobe's own share ${(worst - bare).toFixed(0)} ms)` : ''}`);
