import { promises as fs } from 'node:fs';
import path from 'node:path';
import h5wasm from 'h5wasm/node';
import { MedprobeError } from '../../util/errors.js';
import { cannotRead } from '../../util/fs-errors.js';

/**
 * MATLAB v7.3 .mat files: a 512-byte MATLAB header (text "MATLAB 7.3 MAT-file …"), then an HDF5
 * file, read through h5wasm. MATLAB stores arrays column-major, and HDF5 lists a MATLAB r×c array
 * as [c, r]; `array()` undoes both, so a MATLAB image I(row, col) comes back row-major as
 * data[row * cols + col] with dims [rows, cols], exactly as MATLAB shows it.
 */

export const MAT_HEADER_BYTES = 512;
const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

type Numeric = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export interface MatArray {
  /** MATLAB's dims (rows, cols, …). */
  dims: number[];
  /** Row-major over `dims`. */
  data: Numeric;
  /** MATLAB_class attribute (double, int16, char, logical, …) when present. */
  matlabClass?: string;
}

export interface MatFile {
  readonly file: string;
  /** Variable or struct-field paths, e.g. 'cjdata/image'. */
  has(name: string): boolean;
  keys(group?: string): string[];
  array(name: string): MatArray;
  /** A MATLAB char array as a string. */
  text(name: string): string;
  /** A numeric scalar. */
  scalar(name: string): number;
  close(): void;
}

let ready: Promise<unknown> | null = null;
/** h5wasm, with HDF5 errors thrown as exceptions instead of printed to stderr and returned as bad ids. */
function h5(): Promise<unknown> {
  ready ??= h5wasm.ready.then((m) => {
    m.activate_throwing_error_handler();
    return m;
  });
  return ready;
}

/** HDF5's error stack is many lines; the first "in H5Xyz(): what" line says what failed. */
function h5Reason(e: unknown): string {
  const text = String((e as Error)?.message ?? e);
  return /in \w+\(\): ([^\n]+)/.exec(text)?.[1]?.trim() ?? text.split('\n')[0];
}

/** Reverse the axis order of a row-major array: HDF5's view of MATLAB data → MATLAB's row-major view. */
export function reverseAxes<T extends Numeric>(data: T, shape: readonly number[]): T {
  const n = shape.length;
  if (n < 2) return data;
  const out = new (data.constructor as { new (len: number): T })(data.length);
  const rev = [...shape].reverse();
  // Strides of the output (shape reversed), read in input order.
  const outStride = new Array<number>(n);
  outStride[n - 1] = 1;
  for (let k = n - 2; k >= 0; k--) outStride[k] = outStride[k + 1] * rev[k + 1];
  const idx = new Array<number>(n).fill(0);
  for (let i = 0; i < data.length; i++) {
    let o = 0;
    for (let k = 0; k < n; k++) o += idx[k] * outStride[n - 1 - k];
    out[o] = data[i];
    for (let k = n - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

async function checkHeader(file: string): Promise<void> {
  let head: Buffer;
  try {
    const fh = await fs.open(file, 'r');
    try {
      head = Buffer.alloc(MAT_HEADER_BYTES + 8);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw cannotRead(file, e, '.mat file', 'extract the release into the dataset folder again (`medprobe data doctor` lists what it must hold)');
  }
  const text = head.subarray(0, 116).toString('latin1');
  if (!text.startsWith('MATLAB')) {
    throw new MedprobeError(`${file} is not a MATLAB .mat file (no MATLAB header)`, { file, hint: 'the file is corrupt or not a .mat; download it again' });
  }
  if (!text.startsWith('MATLAB 7.3')) {
    const version = /^MATLAB ([\d.]+)/.exec(text)?.[1] ?? 'unknown';
    throw new MedprobeError(`${file} is a MATLAB v${version} .mat file, not v7.3 (HDF5)`, { file, hint: 'medprobe reads v7.3 .mat files; save it again with `save -v7.3`, or download the original release' });
  }
  if (head.length < MAT_HEADER_BYTES + 8 || !head.subarray(MAT_HEADER_BYTES, MAT_HEADER_BYTES + 8).equals(HDF5_SIGNATURE)) {
    throw new MedprobeError(`${file} has a MATLAB 7.3 header but no HDF5 data after it (truncated or corrupt)`, { file, hint: 'download the file again' });
  }
}

/** Open a MATLAB v7.3 .mat file. Close it when done (h5wasm holds the file open). */
export async function openMat(file: string): Promise<MatFile> {
  const abs = path.resolve(file);
  await checkHeader(abs);
  await h5();
  let f: InstanceType<typeof h5wasm.File>;
  try {
    f = new h5wasm.File(abs, 'r');
  } catch (e) {
    throw new MedprobeError(`${abs} is not a readable HDF5 .mat file: ${h5Reason(e)}`, { file: abs, hint: 'the file is corrupt or truncated; download it again' });
  }
  const missing = (name: string): MedprobeError =>
    new MedprobeError(`${abs} has no '${name}' (has: ${safeKeys('').join(', ') || 'nothing'})`, { file: abs, hint: 'this is not the expected .mat file; check the dataset folder' });
  const lookup = (name: string): ReturnType<typeof f.get> => {
    try {
      return f.get(name);
    } catch (e) {
      throw new MedprobeError(`${abs}: cannot read '${name}': ${h5Reason(e)}`, { file: abs, hint: 'the file is corrupt or truncated; download it again' });
    }
  };
  const dataset = (name: string): InstanceType<typeof h5wasm.Dataset> => {
    const d = lookup(name);
    if (!(d instanceof h5wasm.Dataset)) throw missing(name);
    return d;
  };
  function safeKeys(group: string): string[] {
    const g = group ? lookup(group) : f;
    return g instanceof h5wasm.Group ? g.keys() : [];
  }
  const read = (name: string): MatArray => {
    const d = dataset(name);
    let raw: unknown;
    try {
      raw = d.value;
    } catch (e) {
      throw new MedprobeError(`${abs}: cannot read '${name}': ${h5Reason(e)}`, { file: abs, hint: 'the file is corrupt or truncated; download it again' });
    }
    if (!ArrayBuffer.isView(raw) || raw instanceof BigInt64Array || raw instanceof BigUint64Array || raw instanceof DataView) {
      throw new MedprobeError(`${abs}: '${name}' is not a numeric array`, { file: abs, hint: 'this is not the expected .mat file' });
    }
    const shape = d.shape ?? [];
    const cls = d.attrs['MATLAB_class']?.value;
    return { dims: [...shape].reverse(), data: reverseAxes(raw as Numeric, shape), ...(typeof cls === 'string' ? { matlabClass: cls } : {}) };
  };
  return {
    file: abs,
    has: (name) => lookup(name) != null,
    keys: (group = '') => safeKeys(group),
    array: read,
    text(name) {
      const a = read(name);
      return String.fromCharCode(...Array.from(a.data));
    },
    scalar(name) {
      const a = read(name);
      if (a.data.length !== 1) throw new MedprobeError(`${abs}: '${name}' has ${a.data.length} values, expected one`, { file: abs, hint: 'this is not the expected .mat file' });
      return Number(a.data[0]);
    },
    close: () => void f.close(),
  };
}
