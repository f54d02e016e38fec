import cliProgress from 'cli-progress';

/**
 * Progress for long work: a bar with items/s and ETA when stderr is a terminal, and plain lines
 * at a steady pace when it is not (CI logs, `nohup`, pipes), so a log never goes quiet for long.
 */
export interface Progress {
  tick(n?: number): void;
  stop(): void;
}

export const NO_PROGRESS: Progress = { tick() {}, stop() {} };

export interface ProgressOptions {
  /** Appended to every bar frame and line, e.g. the whole run's ETA. */
  suffix?: () => string;
  /** Where to write (default stderr); a stream without `isTTY` gets plain lines. */
  stream?: { write(s: string): unknown; isTTY?: boolean };
  /**
   * Seconds between plain lines (default `MEDPROBE_PROGRESS_SECONDS` or 10): often enough to
   * show a run is alive, rarely enough that a long extraction's log stays readable.
   */
  intervalSeconds?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** `42 s`, `3.5 min`, `1.2 h`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  if (seconds < 90) return `${Math.max(0, seconds).toFixed(0)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function defaultInterval(): number {
  const env = Number(process.env.MEDPROBE_PROGRESS_SECONDS);
  return Number.isFinite(env) && env > 0 ? env : 10;
}

export function createProgress(label: string, total: number, unit = 'img', opts: ProgressOptions = {}): Progress {
  if (!opts.stream && process.env.MEDPROBE_QUIET === '1') return NO_PROGRESS;
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? (() => performance.now());
  const suffix = opts.suffix ?? (() => '');
  return stream.isTTY ? barProgress(label, total, unit, stream as NodeJS.WritableStream, now, suffix) : lineProgress(label, total, unit, stream, now, suffix, opts.intervalSeconds ?? defaultInterval());
}

function barProgress(label: string, total: number, unit: string, stream: NodeJS.WritableStream, now: () => number, suffix: () => string): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} |{bar}| {value}/{total} ${unit} · {rate} ${unit}/s · ETA {eta_formatted}{suffix}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = now();
  let done = 0;
  bar.start(total, 0, { rate: '0.0', suffix: '' });
  return {
    tick(n = 1) {
      done += n;
      const rate = done / Math.max((now() - start) / 1000, 1e-9);
      const s = suffix();
      bar.update(done, { rate: rate.toFixed(1), suffix: s ? ` · ${s}` : '' });
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * One line every `interval` seconds while work goes on, and a closing line if any was printed;
 * work shorter than the interval prints nothing (the caller's own summary line says it ran).
 */
function lineProgress(label: string, total: number, unit: string, stream: { write(s: string): unknown }, now: () => number, suffix: () => string, interval: number): Progress {
  const start = now();
  let last = start;
  let done = 0;
  let printed = false;
  const line = (text: string): void => {
    const s = suffix();
    stream.write(`${label}: ${text}${s ? ` · ${s}` : ''}\n`);
    printed = true;
  };
  return {
    tick(n = 1) {
      done += n;
      const t = now();
      if ((t - last) / 1000 < interval) return;
      last = t;
      const seconds = (t - start) / 1000;
      const rate = done / Math.max(seconds, 1e-9);
      const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
      line(`${done}/${total} ${unit} (${pct} %) · ${rate.toFixed(1)} ${unit}/s · ETA ${rate > 0 ? formatDuration((total - done) / rate) : 'unknown'}`);
    },
    stop() {
      if (!printed) return;
      const seconds = (now() - start) / 1000;
      line(`${done}/${total} ${unit} in ${formatDuration(seconds)} · ${(done / Math.max(seconds, 1e-9)).toFixed(1)} ${unit}/s`);
    },
  };
}
