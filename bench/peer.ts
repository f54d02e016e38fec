/**
 * Shared machinery for the bench:* scripts: the in-run PyTorch peer, alternating rounds,
 * per-figure peak RSS and the machine load printed beside every ratio.
 *
 * A bench is a list of figures (medprobe variants and the torch peer). Rounds alternate
 * A, B, C, C, B, A, … so load from other tenants of a shared machine hits every figure alike;
 * each figure reports its median. Peak RSS is the process's VmHWM, reset before each round
 * (Linux /proc/self/clear_refs), so it is that figure's own peak, not the process high-water mark.
 * Beside wall time every round reports the CPU time (user + system, all threads) of the process
 * that ran it: wall time is what a user waits, but on a shared machine it mostly measures the
 * neighbours; CPU time is the work done and moves much less with their load.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface Round {
  /** Wall seconds. */
  seconds: number;
  /**
   * CPU seconds (user + system, every thread) of the process that ran the round, during it;
   * null when that process does not report it (a --baseline checkout older than this field).
   */
  cpuSeconds: number | null;
  /** Peak resident set of the process that ran the round, during the round. */
  peakRssMB: number;
}

export interface Figure {
  name: string;
  /** One round; returns its seconds (work done per round must be the same every round). */
  run: () => Promise<Round>;
}

export interface FigureResult {
  name: string;
  /** Median wall seconds per round. */
  seconds: number;
  /** Median CPU seconds per round; null when any round did not report it. */
  cpuSeconds: number | null;
  /** Max over rounds of the per-round peak RSS. */
  peakRssMB: number;
  /** Wall seconds of every round, in run order. */
  all: number[];
}

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Threads for medprobe and the peer alike: `--threads N` or MEDPROBE_THREADS, else every core. */
export function benchThreads(): number {
  const i = process.argv.indexOf('--threads');
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number(process.env.MEDPROBE_THREADS ?? 0);
  return v > 0 ? v : os.availableParallelism();
}

/** A numeric `--name value` flag, else the fallback. */
export function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function resetPeak(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux: VmHWM then is the process high-water mark
  }
}

function peakRssMB(): number {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // fall through
  }
  return (process.resourceUsage().maxRSS * 1024) / 2 ** 20;
}

/** Times one in-process round of `fn` (wall and this process's CPU time) with its own peak RSS. */
export async function timed(fn: () => Promise<unknown>): Promise<Round> {
  resetPeak();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { seconds, cpuSeconds: (c.user + c.system) / 1e6, peakRssMB: peakRssMB() };
}

export function loadLine(): string {
  const l = os.loadavg();
  return `load average ${l.map((v) => v.toFixed(2)).join(' / ')} (1/5/15 min) on ${os.availableParallelism()} cores`;
}

/**
 * A long-lived child process that runs one round of one figure per "run" line on stdin and
 * answers {"seconds", "cpu_seconds", "peak_rss_mb"}: the PyTorch peer (bench/reference/peer.py), or a
 * medprobe figure served by its own bench script (`--serve NAME`, see `serveFigure`). One
 * process per figure keeps each figure's peak RSS its own (ORT arenas and torch caches held
 * by one figure do not show up in another's).
 */
export class RoundServer {
  private constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    /** What the server said when ready (e.g. the torch version). */
    readonly hello: Record<string, unknown>,
  ) {}

  /** Starts `cmd args`, waits for its ready line; null (with stderr's last line) if it failed. */
  static async start(name: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<RoundServer | { failed: string }> {
    const child = spawn(cmd, args, { env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    const failed = new Promise<null>((resolve) => {
      child.on('error', () => resolve(null));
      child.on('exit', () => resolve(null));
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await Promise.race([lines.next().then((r) => (r.done ? null : r.value)), failed]);
    let hello: Record<string, unknown> | null = null;
    try {
      hello = first ? (JSON.parse(first) as Record<string, unknown>) : null;
    } catch {
      hello = null;
    }
    if (!hello?.ready) {
      child.kill();
      return { failed: stderr.trim().split('\n').filter(Boolean).pop() ?? `${cmd} did not start` };
    }
    return new RoundServer(name, child, lines, hello);
  }

  async round(): Promise<Round> {
    this.child.stdin.write('run\n');
    const r = await this.lines.next();
    if (r.done) throw new Error(`${this.name}: the figure's process exited mid-bench`);
    const o = JSON.parse(r.value) as { seconds: number; cpu_seconds?: number; peak_rss_mb: number };
    return { seconds: o.seconds, cpuSeconds: o.cpu_seconds ?? null, peakRssMB: o.peak_rss_mb };
  }

  get figure(): Figure {
    return { name: this.name, run: () => this.round() };
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** The Python that runs the torch peers: $MEDPROBE_BENCH_PYTHON, else Debian's (which has torch here), else python3. */
export function benchPython(): string {
  return process.env.MEDPROBE_BENCH_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

/**
 * The PyTorch peer for `workload` (a `script` under bench/reference/ speaking peer.py's line protocol), with OMP_WAIT_POLICY=PASSIVE and explicit threads; null
 * (after saying why) when Python or torch is absent. Its figure is named "torch <version> <label>".
 */
export async function startTorchPeer(workload: string, label: string, args: readonly (string | number)[], threads: number, script = 'bench/reference/peer.py'): Promise<RoundServer | null> {
  const python = benchPython();
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  const probe = await RoundServer.start('torch', python, [path.join(repo, script), workload, '--threads', String(threads), ...args.map(String)], env);
  if ('failed' in probe) {
    const why = probe.failed.includes('No module named') ? `PyTorch is not importable by ${python}` : probe.failed;
    console.log(`# PyTorch peer (${workload} ${label}): absent — ${why}; printing medprobe's figures only`);
    return null;
  }
  Object.assign(probe, { name: `torch ${String(probe.hello.torch)} ${label}` });
  console.log(`# PyTorch peer (${workload} ${label}): torch ${String(probe.hello.torch)}, ${String(probe.hello.threads)} threads, BLAS ${String(probe.hello.blas ?? 'not reported')}`);
  return probe;
}

/** Starts figure `name` of this bench script in its own node process (`--serve name`). */
export async function startMedprobeFigure(script: string, name: string, extraArgs: readonly string[] = []): Promise<RoundServer> {
  const args = ['--import', 'tsx', script, '--serve', name, ...passThroughArgs(), ...extraArgs];
  const s = await RoundServer.start(name, process.execPath, args);
  if ('failed' in s) throw new Error(`medprobe figure '${name}' did not start: ${s.failed}`);
  return s;
}

/** The orchestrator's own flags (threads, sizes) go to every figure process too. */
function passThroughArgs(): string[] {
  const out: string[] = [];
  for (let i = 2; i < process.argv.length; i++) {
    if (process.argv[i] === '--serve') i++;
    else out.push(process.argv[i]);
  }
  return out;
}

/** The `--serve NAME` value when this process is a figure server, else undefined. */
export function servedFigure(): string | undefined {
  const i = process.argv.indexOf('--serve');
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * Serves one figure over stdin/stdout: `setup` builds it once (outside any timed region:
 * sessions, workers, data), then every "run" line times one call of the returned function.
 */
export async function serveFigure(setup: () => Promise<() => Promise<unknown>>, hello: Record<string, unknown> = {}): Promise<void> {
  console.log = console.error; // stdout carries the protocol only
  const run = await setup();
  process.stdout.write(JSON.stringify({ ready: true, ...hello }) + '\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== 'run') break;
    const r = await timed(run);
    process.stdout.write(JSON.stringify({ seconds: r.seconds, cpu_seconds: r.cpuSeconds, peak_rss_mb: r.peakRssMB }) + '\n');
  }
  process.exit(0);
}

/**
 * One warm-up round of every figure, then `rounds` alternating rounds; medians per figure. Odd
 * rounds run the figures in reverse order, so no figure always follows the same one (whatever a
 * figure leaves behind, GC debt or cold caches, lands on different figures).
 */
export async function alternate(figures: readonly Figure[], rounds: number): Promise<FigureResult[]> {
  for (const f of figures) await f.run();
  const times: number[][] = figures.map(() => []);
  const cpu: (number | null)[][] = figures.map(() => []);
  const peaks = figures.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < figures.length; j++) {
      const k = r % 2 ? figures.length - 1 - j : j;
      const x = await figures[k].run();
      times[k].push(x.seconds);
      cpu[k].push(x.cpuSeconds);
      peaks[k] = Math.max(peaks[k], x.peakRssMB);
    }
  }
  return figures.map((f, k) => ({
    name: f.name,
    seconds: median(times[k]),
    cpuSeconds: cpu[k].every((c) => c !== null) ? median(cpu[k] as number[]) : null,
    peakRssMB: peaks[k],
    all: times[k],
  }));
}

export function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `a ÷ b` as `0.98×`; empty when either is missing (a figure that reports no CPU time). */
export function ratio(a: number | null, b: number | null): string {
  return a === null || b === null ? '' : `${(a / b).toFixed(2)}×`;
}

/** Seconds to 3 decimals, `—` when not reported. */
export function secs(v: number | null): string {
  return v === null ? '—' : v.toFixed(3);
}

/** Why every table shows wall and CPU time (printed in the bench headers). */
export const WALL_AND_CPU =
  'wall s is what a user waits; CPU s (user + system, all threads of the process that ran the round) is the work done and moves less with other jobs on the machine; a figure that uses fewer threads effectively shows a lower CPU ratio than wall ratio, so read both';

/**
 * Prints one table: figure, median wall and CPU s/round, the per-unit rate (wall), peak RSS and
 * the wall and CPU ratios to `against` (medprobe ÷ peer: below 1 means medprobe took less).
 * Every row comes from the same alternating run.
 */
export function printTable(title: string, results: readonly FigureResult[], opts: { unit?: string; perRound?: number; against?: string } = {}): void {
  recordTable(title, results, opts.against);
  const ref = results.find((r) => r.name === opts.against);
  console.log(`\n${title}  [${loadLine()}]`);
  const rate = opts.unit && opts.perRound ? `${opts.unit}/s` : '';
  const refName = ref ? ref.name : '—';
  console.log(`| figure | s/round (median) | CPU s/round | ${rate ? rate + ' | ' : ''}peak RSS MB | ÷ ${refName} (wall) | ÷ ${refName} (CPU) |`);
  console.log(`|---|---:|---:|${rate ? '---:|' : ''}---:|---:|---:|`);
  for (const r of results) {
    const mine = ref && r !== ref;
    const perS = rate ? ` ${(opts.perRound! / r.seconds).toFixed(1)} |` : '';
    console.log(`| ${r.name} | ${r.seconds.toFixed(3)} | ${secs(r.cpuSeconds)} |${perS} ${r.peakRssMB.toFixed(0)} | ${mine ? ratio(r.seconds, ref.seconds) : ''} | ${mine ? ratio(r.cpuSeconds, ref.cpuSeconds) : ''} |`);
  }
}

/** One printed table, as bench:all collects it (JSON lines in $MEDPROBE_BENCH_RESULTS). */
export interface RecordedTable {
  /** Which bench run printed it (bench:all's label, e.g. "extract vit-s"). */
  bench: string;
  title: string;
  results: FigureResult[];
  against?: string;
  /** 1-minute load average when the table was printed. */
  load: number;
}

function recordTable(title: string, results: readonly FigureResult[], against: string | undefined): void {
  const file = process.env.MEDPROBE_BENCH_RESULTS;
  if (!file) return;
  const t: RecordedTable = { bench: process.env.MEDPROBE_BENCH_LABEL ?? path.basename(process.argv[1] ?? ''), title, results: [...results], against, load: os.loadavg()[0] };
  appendFileSync(file, JSON.stringify(t) + '\n');
}

/** The header every bench prints first: versions, threads and load. */
export async function printHeader(name: string, threads: number): Promise<void> {
  const ort = await import('onnxruntime-node');
  console.log(`# ${name}: node ${process.version}, onnxruntime-node ${ort.env.versions.node}, ${threads} threads (medprobe and peer), ${os.cpus()[0]?.model ?? 'cpu'}`);
  console.log(`# ${loadLine()}; rounds alternate between figures; times are medians; ratios are time ÷ time (< 1: faster than the reference)`);
  console.log(`# ${WALL_AND_CPU}`);
}
