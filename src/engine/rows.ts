import { closeSync, openSync, readSync } from 'node:fs';
import type { Matrix } from '../util/matrix.js';
import { MedprobeError } from '../util/errors.js';
import { parseNpyHeader } from '../util/npy.js';

/**
 * Rows of a feature matrix, wherever they live. Training only ever needs a mini-batch of
 * rows at a time, so a probe can run from a matrix in memory, from train+val stacked
 * without concatenating (no second copy of the matrix), or straight from a cached .npy on
 * disk (peak memory independent of the dataset size).
 */
export interface RowSource {
  readonly rows: number;
  readonly cols: number;
  /** Copy rows idx[0..count) into out[0 .. count·cols). */
  gather(idx: ArrayLike<number>, count: number, out: Float32Array): void;
  /** Rows [start, end) as a row-major block: a view when the rows are in memory, else read into `scratch`. */
  block(start: number, end: number, scratch: Float32Array): Float32Array;
  close?(): void;
}

export function matrixRows(m: Matrix): RowSource {
  const { data, cols } = m;
  return {
    rows: m.rows,
    cols,
    gather(idx, count, out) {
      for (let k = 0; k < count; k++) {
        const i = idx[k];
        out.set(data.subarray(i * cols, (i + 1) * cols), k * cols);
      }
    },
    block: (start, end) => data.subarray(start * cols, end * cols),
  };
}

/** Sources one after the other, as one: rows of `b` follow rows of `a`. */
export function stackedRows(...parts: RowSource[]): RowSource {
  const cols = parts[0].cols;
  for (const p of parts) if (p.cols !== cols) throw new RangeError(`cannot stack ${cols}-d and ${p.cols}-d rows`);
  const starts: number[] = [];
  let total = 0;
  for (const p of parts) {
    starts.push(total);
    total += p.rows;
  }
  const partOf = (i: number): number => {
    let p = parts.length - 1;
    while (starts[p] > i) p--;
    return p;
  };
  const one = new Int32Array(1);
  return {
    rows: total,
    cols,
    gather(idx, count, out) {
      for (let k = 0; k < count; k++) {
        const p = partOf(idx[k]);
        one[0] = idx[k] - starts[p];
        parts[p].gather(one, 1, out.subarray(k * cols, (k + 1) * cols));
      }
    },
    block(start, end, scratch) {
      const p = partOf(start);
      if (end <= starts[p] + parts[p].rows) return parts[p].block(start - starts[p], end - starts[p], scratch);
      for (let i = start; i < end; i++) {
        one[0] = i;
        this.gather(one, 1, scratch.subarray((i - start) * cols, (i - start + 1) * cols));
      }
      return scratch.subarray(0, (end - start) * cols);
    },
    close() {
      for (const p of parts) p.close?.();
    },
  };
}

/**
 * Rows of a 2-D little-endian float32 .npy read on demand with positioned reads: the matrix
 * is never resident (the page cache keeps hot rows cheap), so a 50k × 768 probe runs in the
 * memory of a mini-batch. Callers gather batches in ascending row order for locality.
 */
export function npyRows(file: string): RowSource {
  const fd = openSync(file, 'r');
  try {
    const head = new Uint8Array(4096);
    const got = readSync(fd, head, 0, head.length, 0);
    const h = parseNpyHeader(head.subarray(0, got), file);
    if (h.shape.length !== 2 || h.fortranOrder || !/^[<|]?f4$/.test(h.descr)) {
      throw new MedprobeError(`${file}: expected a 2-D C-order float32 feature matrix, found ${h.descr} ${h.fortranOrder ? 'Fortran-order ' : ''}shape (${h.shape.join(', ')})`, {
        hint: 'feature caches are written as [samples × dim] float32; re-extract the features',
      });
    }
    const [rows, cols] = h.shape;
    const rowBytes = cols * 4;
    const offset = h.dataOffset;
    const readRows = (first: number, n: number, out: Float32Array): void => {
      const bytes = new Uint8Array(out.buffer, out.byteOffset, n * rowBytes);
      let done = 0;
      while (done < bytes.length) {
        const r = readSync(fd, bytes, done, bytes.length - done, offset + first * rowBytes + done);
        if (r === 0) throw new MedprobeError(`${file}: truncated (row ${first + Math.floor(done / rowBytes)} of ${rows} missing)`, { hint: 're-extract the features' });
        done += r;
      }
    };
    return {
      rows,
      cols,
      gather(idx, count, out) {
        // Runs of consecutive indices become one read.
        let k = 0;
        while (k < count) {
          let run = 1;
          while (k + run < count && idx[k + run] === idx[k] + run) run++;
          readRows(idx[k], run, out.subarray(k * cols, (k + run) * cols));
          k += run;
        }
      },
      block(start, end, scratch) {
        const out = scratch.subarray(0, (end - start) * cols);
        readRows(start, end - start, out);
        return out;
      },
      close: () => closeSync(fd),
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
