/** A dense row-major float32 matrix: the currency between features, protocols and metrics. */
export interface Matrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

export function matrix(rows: number, cols: number, data?: Float32Array): Matrix {
  const d = data ?? new Float32Array(rows * cols);
  if (d.length !== rows * cols) throw new RangeError(`matrix data has ${d.length} values, expected ${rows}x${cols}`);
  return { data: d, rows, cols };
}

export function row(m: Matrix, i: number): Float32Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** Rows picked by index, copied into a new matrix. */
export function takeRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const out = new Float32Array(idx.length * m.cols);
  for (let k = 0; k < idx.length; k++) out.set(row(m, idx[k]), k * m.cols);
  return { data: out, rows: idx.length, cols: m.cols };
}

export function concatRows(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.cols) throw new RangeError(`cannot stack ${a.cols}-d and ${b.cols}-d rows`);
  const out = new Float32Array(a.data.length + b.data.length);
  out.set(a.data, 0);
  out.set(b.data, a.data.length);
  return { data: out, rows: a.rows + b.rows, cols: a.cols };
}

/** Columns side by side: [a | b]. */
export function concatCols(...ms: Matrix[]): Matrix {
  const rows = ms[0].rows;
  const cols = ms.reduce((s, m) => s + m.cols, 0);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    let off = i * cols;
    for (const m of ms) {
      if (m.rows !== rows) throw new RangeError('concatCols: row counts differ');
      out.set(row(m, i), off);
      off += m.cols;
    }
  }
  return { data: out, rows, cols };
}
