/** Mean and sample standard deviation of repeated runs (seeds, few-shot draws), for "mean ± sd" tables. */
export interface MeanSd {
  /** Null when there are no values. */
  mean: number | null;
  /** Sample standard deviation (n − 1 denominator, numpy std(ddof=1)); null with fewer than 2 values. */
  sd: number | null;
  /** Values that entered (nulls are undefined runs and are left out). */
  n: number;
}

export function meanSd(values: readonly (number | null)[] | ArrayLike<number>): MeanSd {
  const xs: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && !Number.isNaN(v)) xs.push(v);
  }
  const n = xs.length;
  if (n === 0) return { mean: null, sd: null, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, sd: null, n };
  // Two passes (deviations from the mean) rather than Σx² − n·mean², which cancels badly for values like 0.95 ± 0.001.
  const ss = xs.reduce((a, x) => a + (x - mean) * (x - mean), 0);
  return { mean, sd: Math.sqrt(ss / (n - 1)), n };
}
