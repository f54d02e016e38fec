import { promises as fs } from 'node:fs';
import { MedprobeError } from './errors.js';
import { writeFileAtomic } from './atomic.js';

/**
 * NumPy `.npy` reading and writing (format versions 1, 2 and 3, C order).
 * Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */

export type NpyDtype =
  | 'bool'
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64';

export type NpyData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/**
 * A decoded array. `dtype` is the dtype stored in the file; `data` is how it is held in JS:
 * bool → Uint8Array (0/1); float16 → Float32Array (widened: Node 20 has no Float16Array);
 * int64 → Int32Array when every value fits in int32, else BigInt64Array.
 */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface DtypeSpec {
  dtype: NpyDtype;
  itemsize: number;
}

const DESCR: Record<string, DtypeSpec> = {
  b1: { dtype: 'bool', itemsize: 1 },
  u1: { dtype: 'uint8', itemsize: 1 },
  i1: { dtype: 'int8', itemsize: 1 },
  u2: { dtype: 'uint16', itemsize: 2 },
  i2: { dtype: 'int16', itemsize: 2 },
  u4: { dtype: 'uint32', itemsize: 4 },
  i4: { dtype: 'int32', itemsize: 4 },
  i8: { dtype: 'int64', itemsize: 8 },
  f2: { dtype: 'float16', itemsize: 2 },
  f4: { dtype: 'float32', itemsize: 4 },
  f8: { dtype: 'float64', itemsize: 8 },
};

function bad(file: string | undefined, what: string, hint?: string): MedprobeError {
  const where = file ? `${file}: ` : '';
  return new MedprobeError(`${where}${what}`, { file, hint: hint ?? 'the file is not a valid NumPy .npy array; re-export it with numpy.save' });
}

/** Header fields of an .npy file, and where its data starts. */
export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the first data byte. */
  dataOffset: number;
}

/** Parse just the header (needs only the first few hundred bytes of the file). */
export function parseNpyHeader(bytes: Uint8Array, file?: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad(file, 'not a NumPy .npy file (magic bytes missing)');
  const major = bytes[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad(file, 'truncated .npy header');
    headerLen = (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24)) >>> 0;
    start = 12;
  } else {
    throw bad(file, `unsupported .npy format version ${major}.${bytes[7]}`, 'save with numpy ≥ 1.0 (format 1.0, 2.0 or 3.0)');
  }
  if (bytes.length < start + headerLen) throw bad(file, 'truncated .npy header');
  // v3 headers are UTF-8; v1/v2 are latin1. Dict keys and values we accept are ASCII either way.
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  if (!descr) {
    if (/'descr'\s*:\s*\[/.test(text)) throw bad(file, 'structured (record) .npy arrays are not supported', 'save a plain numeric array');
    throw bad(file, `cannot read dtype from .npy header ${JSON.stringify(text.trim())}`);
  }
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  if (!fortran) throw bad(file, `cannot read fortran_order from .npy header ${JSON.stringify(text.trim())}`);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shapeM) throw bad(file, `cannot read shape from .npy header ${JSON.stringify(text.trim())}`);
  const shape = shapeM[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw bad(file, `bad dimension ${s} in .npy shape`);
      return n;
    });
  return { descr: descr[1], fortranOrder: fortran[1] === 'True', shape, dataOffset: start + headerLen };
}

function resolveDescr(descr: string, file?: string): { spec: DtypeSpec; bigEndian: boolean } {
  const order = descr[0];
  const code = '<>|='.includes(order) ? descr.slice(1) : descr;
  const spec = DESCR[code];
  if (!spec) {
    throw bad(file, `unsupported .npy dtype '${descr}'`, `supported: ${Object.keys(DESCR).join(' ')}; convert with arr.astype(...) before saving`);
  }
  return { spec, bigEndian: order === '>' && spec.itemsize > 1 };
}

/** dtype, item size and byte order of an .npy `descr` string (`<f4`, `|u1`, …); MedprobeError when unsupported. */
export function describeDtype(descr: string, file?: string): { dtype: NpyDtype; itemsize: number; bigEndian: boolean } {
  const { spec, bigEndian } = resolveDescr(descr, file);
  return { dtype: spec.dtype, itemsize: spec.itemsize, bigEndian };
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** float16 bits → float32 value. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → float16 bits with round-to-nearest-even, as numpy's astype(float16). */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) r++; // may carry into the exponent, which is correct
  return sign | r;
}

/**
 * Decode an in-memory .npy. Where alignment allows, `data` is a view into `bytes` (no copy),
 * so keep `bytes` alive and unmodified.
 */
export function parseNpy(bytes: Uint8Array, file?: string): NpyArray {
  const h = parseNpyHeader(bytes, file);
  if (h.fortranOrder) {
    throw bad(file, '.npy array is stored in Fortran (column-major) order, which is not supported', 'save it with numpy.save(path, np.ascontiguousarray(arr))');
  }
  const { spec, bigEndian } = resolveDescr(h.descr, file);
  const n = product(h.shape);
  const nbytes = n * spec.itemsize;
  if (bytes.length - h.dataOffset < nbytes) {
    throw bad(file, `truncated .npy data: expected ${nbytes} bytes for shape (${h.shape.join(', ')}) ${h.descr}, found ${bytes.length - h.dataOffset}`, 'the header declares more data than the array holds: the file was cut short or its header edited; write it again with numpy.save (a downloaded file: fetch it again)');
  }
  let raw = bytes.subarray(h.dataOffset, h.dataOffset + nbytes);
  if (bigEndian) {
    raw = raw.slice();
    const k = spec.itemsize;
    for (let i = 0; i < raw.length; i += k) raw.subarray(i, i + k).reverse();
  } else if ((raw.byteOffset % spec.itemsize) !== 0) {
    raw = raw.slice(); // typed arrays need element-aligned offsets
  }
  const buf = raw.buffer;
  const off = raw.byteOffset;
  switch (spec.dtype) {
    case 'bool':
    case 'uint8':
      return { dtype: spec.dtype, shape: h.shape, data: new Uint8Array(buf, off, n) };
    case 'int8':
      return { dtype: spec.dtype, shape: h.shape, data: new Int8Array(buf, off, n) };
    case 'uint16':
      return { dtype: spec.dtype, shape: h.shape, data: new Uint16Array(buf, off, n) };
    case 'int16':
      return { dtype: spec.dtype, shape: h.shape, data: new Int16Array(buf, off, n) };
    case 'uint32':
      return { dtype: spec.dtype, shape: h.shape, data: new Uint32Array(buf, off, n) };
    case 'int32':
      return { dtype: spec.dtype, shape: h.shape, data: new Int32Array(buf, off, n) };
    case 'float32':
      return { dtype: spec.dtype, shape: h.shape, data: new Float32Array(buf, off, n) };
    case 'float64':
      return { dtype: spec.dtype, shape: h.shape, data: new Float64Array(buf, off, n) };
    case 'float16': {
      const half = new Uint16Array(buf, off, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(half[i]);
      return { dtype: 'float16', shape: h.shape, data: out };
    }
    case 'int64': {
      const big = new BigInt64Array(buf, off, n);
      const lo = BigInt(-2147483648);
      const hi = BigInt(2147483647);
      for (let i = 0; i < n; i++) if (big[i] < lo || big[i] > hi) return { dtype: 'int64', shape: h.shape, data: big };
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(big[i]);
      return { dtype: 'int64', shape: h.shape, data: out };
    }
  }
}

export async function readNpy(file: string): Promise<NpyArray> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MedprobeError(`no such .npy file: ${file}`, { file, hint: 'pass the path of an existing .npy file (numpy.save writes one)', cause: e });
    throw e;
  }
  return parseNpy(bytes, file);
}

function descrOf(data: NpyData, dtype?: 'float16'): string {
  if (dtype === 'float16') {
    if (!(data instanceof Float32Array || data instanceof Float64Array)) throw new TypeError('float16 output needs Float32Array or Float64Array input');
    return '<f2';
  }
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint32Array) return '<u4';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof BigInt64Array) return '<i8';
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  throw new TypeError('unsupported typed array for .npy');
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Encode an array as .npy bytes, with the header numpy itself writes
 * (dict, space padding, '\n', data aligned to 64 bytes; version 1.0 unless the header needs 2.0).
 */
export function encodeNpy(data: NpyData, shape: readonly number[], opts: { dtype?: 'float16' } = {}): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('encodeNpy assumes a little-endian host');
  if (product(shape) !== data.length) throw new RangeError(`shape (${shape.join(', ')}) holds ${product(shape)} values but data has ${data.length}`);
  const descr = descrOf(data, opts.dtype);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  let version = 1;
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    version = 2;
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - prefix;
  let payload: Uint8Array;
  if (opts.dtype === 'float16') {
    const half = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) half[i] = floatToHalf(Number(data[i]));
    payload = new Uint8Array(half.buffer);
  } else {
    payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const out = new Uint8Array(total + payload.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  if (version === 1) {
    out[8] = headerLen & 0xff;
    out[9] = headerLen >> 8;
  } else {
    new DataView(out.buffer).setUint32(8, headerLen, true);
  }
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  out.set(payload, total);
  return out;
}

/** Write an .npy atomically (temp + rename): a crash never leaves a torn array behind. */
export async function writeNpy(file: string, data: NpyData, shape: readonly number[], opts: { dtype?: 'float16' } = {}): Promise<void> {
  await writeFileAtomic(file, encodeNpy(data, shape, opts));
}
