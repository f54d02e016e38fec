/**
 * npm run bench:all — every bench that has a PyTorch peer, in one command, and ONE table of
 * their figures: wall and CPU seconds per round, peak RSS of the process that ran it, medprobe ÷
 * torch (wall and CPU ratios, < 1: medprobe took less) and the 1-minute load average when each
 * bench's table was printed, with the torch version, thread count and load at start and end in
 * the header.
 *
 * Benches (each alternates medprobe's figures with its torch peer, in one process per figure
 * except bench:extract, whose medprobe figures share one process): extraction (ViT-S, ViT-B,
 * MobileNetV2), the linear-probe grid, kNN, the U-Net and linear decoder steps, and the
 * fine-tuning steps (LoRA, BitFit, full). The default sizes are short, so the whole run fits a
 * loaded 2-core machine in about ten to fifteen minutes; `--full` runs each bench at its own default
 * size instead (much longer: ViT-S fine-tuning alone takes minutes per round on 2 cores).
 * Every bench's own output is printed too, as it runs.
 *
 * Run: npm run bench:all -- [--threads N] [--full] [--only probe,knn] [--out FILE.md]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchPython, benchThreads, loadLine, ratio, secs, WALL_AND_CPU, type RecordedTable } from './peer.js';

interface Run {
  /** Label in the table; `--only` matches its first word. */
  label: string;
  script: string;
  /** Short sizes (the default of bench:all). */
  quick: string[];
  /** Sizes under --full (the bench's own defaults, plus what selects the figure). */
  full: string[];
}

const RUNS: Run[] = [
  { label: 'extract vit-s', script: 'extract', quick: ['--model', 'vit-s', '--images', '16', '--batch', '8', '--rounds', '3'], full: ['--model', 'vit-s'] },
  { label: 'extract vit-b', script: 'extract', quick: ['--model', 'vit-b', '--images', '8', '--batch', '8', '--rounds', '3'], full: ['--model', 'vit-b'] },
  { label: 'extract mobilenetv2', script: 'extract', quick: ['--model', 'mobilenetv2', '--images', '64', '--batch', '32', '--rounds', '3'], full: ['--model', 'mobilenetv2'] },
  { label: 'probe', script: 'probe', quick: ['--rows', '20000', '--rounds', '3'], full: [] },
  { label: 'knn', script: 'knn', quick: ['--bank', '50000', '--queries', '1000', '--rounds', '2'], full: [] },
  { label: 'decoder', script: 'decoder', quick: ['--rounds', '3'], full: [] },
  // ViT-S/14 fine-tuning takes minutes per step here; the short run uses issue 14's small shape.
  { label: 'finetune', script: 'finetune', quick: ['--depth', '4', '--size', '112', '--batch', '8', '--rounds', '2'], full: [] },
];

const args = process.argv.slice(2);
const take = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const out = take('--out');
const only = take('--only')?.split(',');
const full = args.includes('--full');
const passOn = args.filter((a) => a !== '--full');
const threads = benchThreads();
const here = path.dirname(new URL(import.meta.url).pathname);
const dir = mkdtempSync(path.join(os.tmpdir(), 'medprobe-bench-all-'));
const resultsFile = path.join(dir, 'tables.jsonl');
writeFileSync(resultsFile, '');

const torch = spawnSync(benchPython(), ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
const torchVersion = torch.status === 0 ? torch.stdout.trim() : `absent (${benchPython()} cannot import torch: medprobe figures only)`;
const ort = await import('onnxruntime-node');
const started = Date.now();
const startLoad = loadLine();
const failed: string[] = [];

for (const run of RUNS) {
  if (only && !only.includes(run.label.split(' ')[0]) && !only.includes(run.label)) continue;
  console.log(`\n## ${run.label}: npm run bench:${run.script} -- ${[...(full ? run.full : run.quick), ...passOn].join(' ')}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, `${run.script}.ts`), ...(full ? run.full : run.quick), ...passOn], {
    stdio: 'inherit',
    env: { ...process.env, MEDPROBE_BENCH_RESULTS: resultsFile, MEDPROBE_BENCH_LABEL: run.label },
  });
  if (r.status !== 0) {
    failed.push(run.label);
    console.error(`bench:all: ${run.label} failed (exit ${r.status ?? r.signal}); going on with the others`);
  }
}

const tables = readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RecordedTable);
rmSync(dir, { recursive: true, force: true });
const minutes = (Date.now() - started) / 60000;
const lines = [
  `bench:all ${full ? '(--full sizes)' : '(short default sizes)'}, ${new Date(started).toISOString()}, ${minutes.toFixed(1)} min`,
  `node ${process.version}, onnxruntime-node ${ort.env.versions.node}, torch ${torchVersion} (OMP_WAIT_POLICY=PASSIVE), ${threads} threads for medprobe and torch, ${os.cpus()[0]?.model ?? 'cpu'}`,
  `at start: ${startLoad}`,
  `at end:   ${loadLine()}`,
  `times are medians over alternating rounds; ${WALL_AND_CPU}`,
  '',
  '| bench | figure | s/round (median) | CPU s/round | peak RSS MB | ÷ torch (wall) | ÷ torch (CPU) | ÷ other reference (wall / CPU) | load (1 min) |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|',
];
for (const t of tables) {
  const torchFig = t.results.find((r) => r.name.startsWith('torch '));
  const ref = t.against && t.against !== torchFig?.name ? t.results.find((r) => r.name === t.against) : undefined;
  for (const r of t.results) {
    const mine = r !== torchFig;
    const vsTorch = mine && torchFig ? [ratio(r.seconds, torchFig.seconds), ratio(r.cpuSeconds, torchFig.cpuSeconds)] : ['', ''];
    const vsRef = mine && ref && r !== ref ? `${ratio(r.seconds, ref.seconds)} / ${ratio(r.cpuSeconds, ref.cpuSeconds) || '—'} ${ref.name}` : '';
    lines.push(`| ${t.bench} | ${r.name} | ${r.seconds.toFixed(3)} | ${secs(r.cpuSeconds)} | ${r.peakRssMB.toFixed(0)} | ${vsTorch[0]} | ${vsTorch[1]} | ${vsRef} | ${t.load.toFixed(1)} |`);
  }
}
if (failed.length) lines.push('', `Failed (no figures above): ${failed.join(', ')}`);
console.log(`\n# bench:all — one table\n\n${lines.join('\n')}`);
if (out) writeFileSync(out, lines.join('\n') + '\n');
if (failed.length) process.exitCode = 1;
