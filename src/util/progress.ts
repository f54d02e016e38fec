import cliProgress from 'cli-progress';

/** Progress for long work: items/s and ETA on stderr when it is a terminal, silent otherwise. */
export interface Progress {
  tick(n?: number): void;
  stop(): void;
}

export function createProgress(label: string, total: number, unit = 'img'): Progress {
  if (!process.stderr.isTTY || process.env.MEDPROBE_QUIET === '1') return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} |{bar}| {value}/{total} ${unit} · {rate} ${unit}/s · ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = performance.now();
  let done = 0;
  bar.start(total, 0, { rate: '0.0' });
  return {
    tick(n = 1) {
      done += n;
      const rate = done / Math.max((performance.now() - start) / 1000, 1e-9);
      bar.update(done, { rate: rate.toFixed(1) });
    },
    stop() {
      bar.stop();
    },
  };
}
