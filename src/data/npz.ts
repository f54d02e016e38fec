import { promises as fs } from 'node:fs';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { MedprobeError } from '../util/errors.js';
import { assertWithinMemoryBudget, formatBytes } from '../util/memory-budget.js';
import { describeDtype, parseNpy, parseNpyHeader, type NpyArray, type NpyDtype } from '../util/npy.js';

/**
 * Reads NumPy .npz archives entry by entry straight from a file handle: the central
 * directory says where each member lives, and only the member asked for is read and
 * inflated (streamed in chunks into a buffer of its final size). MedMNIST+ 224 px files are
 * GBs, so the archive is never held in memory, and a member never twice.
 *
 * Inflation uses node:zlib (native zlib) rather than fflate (pure JS): on adrenalmnist3d_64.npz
 * (1.4 MB → 311 MB member) fflate's inflateSync took 3.1× and its streaming Inflate 4.2× as
 * long as zlib, and 2.1–2.8× on a barely compressible generated one; `npm run bench:npz`.
 */

export interface NpzFile {
  readonly file: string;
  /** Array names, without the `.npy` suffix, in archive order. */
  readonly keys: string[];
  /** Uncompressed byte size of a member, header included. */
  sizeOf(key: string): number;
  /** Inflate and decode one array; `onBytes` gets each increment of inflated bytes (for progress bars). */
  read(key: string, opts?: { onBytes?: (n: number) => void }): Promise<NpyArray>;
  /**
   * Read an array as rows spread over buffers of at most `maxChunkBytes` (default 1 GiB):
   * for members too large for `read`. Little-endian or single-byte dtypes, C order.
   */
  readRows(key: string, opts?: { maxChunkBytes?: number; onBytes?: (n: number) => void }): Promise<NpyRows>;
  /**
   * An array's dtype and shape from its npy header alone: only the first bytes of the member are
   * inflated (kilobytes, whatever the array's size), and the header is checked against the
   * member's declared size as `readRows` checks it.
   */
  header(key: string): Promise<NpyLayout>;
}

/** What an npy header says about a C-order, little-endian array. */
export interface NpyLayout {
  dtype: NpyDtype;
  shape: number[];
  /** Bytes per row: product(shape[1:]) × itemsize. */
  rowBytes: number;
}

interface Entry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const CHUNK = 4 << 20;

function npzError(file: string, what: string, hint: string, cause?: unknown): MedprobeError {
  return new MedprobeError(`${file}: ${what}`, { file, hint, cause });
}

const REDOWNLOAD = 'the file is damaged or incomplete; delete it and download it again (medprobe pulls re-verify the MD5)';

const HEADER_MISMATCH = 'the npy header does not match its data (edited or written wrongly); re-create the npz with numpy.savez_compressed, or for a MedMNIST file delete it and `medprobe data pull` it again';

async function readAt(fh: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

function u64(view: DataView, off: number): number {
  const v = view.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('zip64 field too large');
  return Number(v);
}

async function readCentralDirectory(fh: fs.FileHandle, file: string, fileSize: number): Promise<Entry[]> {
  if (fileSize < 22) throw npzError(file, `not a zip/npz archive (${fileSize} bytes)`, REDOWNLOAD);
  const tailLen = Math.min(fileSize, 22 + 0xffff + 20);
  const tailStart = fileSize - tailLen;
  const tail = await readAt(fh, tailStart, tailLen);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const head = await readAt(fh, 0, 4);
    const isZip = head.length === 4 && head.readUInt32LE(0) === LOCAL_SIG;
    throw isZip
      ? npzError(file, 'truncated npz: the zip central directory is missing', REDOWNLOAD)
      : npzError(file, 'not a zip/npz archive', 'pass a NumPy .npz file (numpy.savez / savez_compressed)');
  }
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tv.getUint32(loc, true) !== ZIP64_LOCATOR_SIG) throw npzError(file, 'zip64 locator missing', REDOWNLOAD);
    const z64Off = u64(tv, loc + 8);
    const z = await readAt(fh, z64Off, 56);
    const zv = new DataView(z.buffer, z.byteOffset, z.byteLength);
    if (z.length < 56 || zv.getUint32(0, true) !== ZIP64_EOCD_SIG) throw npzError(file, 'zip64 end record missing', REDOWNLOAD);
    count = u64(zv, 32);
    cdSize = u64(zv, 40);
    cdOffset = u64(zv, 48);
  }
  if (cdOffset + cdSize > fileSize) throw npzError(file, 'truncated npz: central directory points past the end of the file', REDOWNLOAD);
  const cd = await readAt(fh, cdOffset, cdSize);
  const v = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: Entry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || v.getUint32(p, true) !== CENTRAL_SIG) throw npzError(file, 'corrupt zip central directory', REDOWNLOAD);
    const method = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    let compressedSize = v.getUint32(p + 20, true);
    let size = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    let localHeaderOffset = v.getUint32(p + 42, true);
    const name = cd.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    // zip64 extra field (id 1) carries the 64-bit values of whichever fields are 0xffffffff, in this order.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = v.getUint16(e, true);
      const len = v.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        if (size === 0xffffffff) (size = u64(v, q)), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(v, q)), (q += 8);
        if (localHeaderOffset === 0xffffffff) (localHeaderOffset = u64(v, q)), (q += 8);
      }
      e += 4 + len;
    }
    entries.push({ name, method, crc, compressedSize, size, localHeaderOffset });
    p = eEnd + commentLen;
  }
  return entries;
}

function keyOf(name: string): string {
  return name.endsWith('.npy') ? name.slice(0, -4) : name;
}

/** Largest member `read` inflates into one buffer (V8 caps a typed array at 2^32 - 1 elements). */
const MAX_ENTRY = 2 ** 32 - 1;

/** Where a member's stored bytes start, after the checks that need no inflating (local header, file length, deflate's ratio, method). */
async function locateEntry(fh: fs.FileHandle, file: string, fileSize: number, entry: Entry): Promise<number> {
  const key = keyOf(entry.name);
  const lh = await readAt(fh, entry.localHeaderOffset, 30);
  if (lh.length < 30 || lh.readUInt32LE(0) !== LOCAL_SIG) throw npzError(file, `corrupt entry '${key}': bad local header`, REDOWNLOAD);
  const dataStart = entry.localHeaderOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
  if (dataStart + entry.compressedSize > fileSize) {
    throw npzError(file, `truncated npz: entry '${key}' needs ${entry.compressedSize} bytes at offset ${dataStart} but the file ends at ${fileSize}`, REDOWNLOAD);
  }
  // Deflate inflates at most ~1032:1: a member declaring more than that of its stored bytes lies.
  if (entry.size > (entry.method === 8 ? 1032 * entry.compressedSize + 1024 : entry.compressedSize)) {
    throw npzError(file, `entry '${key}' declares ${entry.size} bytes uncompressed, more than its ${entry.compressedSize} stored bytes can hold`, 'the zip directory is damaged or forged; re-create the npz with numpy.savez_compressed');
  }
  if (entry.method !== 0 && entry.method !== 8) {
    throw npzError(file, `entry '${key}' uses zip compression method ${entry.method}`, 'only stored and deflate entries are supported; re-save with numpy.savez or savez_compressed');
  }
  return dataStart;
}

/**
 * Stream one member's uncompressed bytes into `sink` in order, checking its length and CRC-32.
 * Stored members are copied, deflated ones inflated by node:zlib.
 */
async function streamEntry(fh: fs.FileHandle, file: string, fileSize: number, entry: Entry, sink: (chunk: Uint8Array) => void): Promise<void> {
  const key = keyOf(entry.name);
  const dataStart = await locateEntry(fh, file, fileSize, entry);
  // Checked here, before the caller's buffer for the member is filled (and before inflating a byte).
  assertWithinMemoryBudget(`${file}`, entry.size, `array '${key}' of ${formatBytes(entry.size)} uncompressed`);
  let written = 0;
  let crc = 0;
  const take = (chunk: Uint8Array): void => {
    if (written + chunk.length > entry.size) {
      throw npzError(file, `corrupt entry '${key}': inflates to more than the ${entry.size} bytes its header declares`, REDOWNLOAD);
    }
    crc = crc32(chunk, crc);
    written += chunk.length;
    sink(chunk);
  };
  try {
    if (entry.compressedSize > 0) {
      const src = createReadStream(file, { start: dataStart, end: dataStart + entry.compressedSize - 1, highWaterMark: CHUNK });
      const consume = async (chunks: AsyncIterable<Buffer>): Promise<void> => {
        for await (const chunk of chunks) take(chunk);
      };
      if (entry.method === 8) await pipeline(src, createInflateRaw({ chunkSize: CHUNK }), consume);
      else await pipeline(src, consume);
    }
  } catch (e) {
    if (e instanceof MedprobeError) throw e;
    throw npzError(file, `corrupt entry '${key}': ${(e as Error).message}`, REDOWNLOAD, e);
  }
  if (written !== entry.size) {
    throw npzError(file, `corrupt entry '${key}': inflated to ${written} bytes, expected ${entry.size}`, REDOWNLOAD);
  }
  if (crc >>> 0 !== entry.crc >>> 0) {
    throw npzError(file, `corrupt entry '${key}': CRC-32 ${(crc >>> 0).toString(16)} does not match ${(entry.crc >>> 0).toString(16)}`, REDOWNLOAD);
  }
}

async function inflateEntry(fh: fs.FileHandle, file: string, fileSize: number, entry: Entry, onBytes?: (n: number) => void): Promise<Uint8Array> {
  if (entry.size > MAX_ENTRY) {
    throw npzError(
      file,
      `entry '${keyOf(entry.name)}' is ${(entry.size / 2 ** 30).toFixed(1)} GiB uncompressed, more than one buffer can hold`,
      'read it with readRows (chunked), or use a smaller image size of this dataset',
    );
  }
  // Allocated at the first inflated chunk: streamEntry checks the declared size (file, budget) first.
  let out: Uint8Array | undefined;
  let at = 0;
  await streamEntry(fh, file, fileSize, entry, (chunk) => {
    out ??= new Uint8Array(entry.size);
    out.set(chunk, at);
    at += chunk.length;
    onBytes?.(chunk.length);
  });
  return out ?? new Uint8Array(0);
}

/**
 * A C-order array held as rows (first-axis slices) in several buffers, so members larger than
 * one typed array (MedMNIST+ 224 px: up to 13.5 GB) still load. A row never straddles buffers.
 */
export interface NpyRows {
  dtype: NpyDtype;
  shape: number[];
  /** Bytes per row: product(shape[1:]) × itemsize. */
  rowBytes: number;
  rowsPerChunk: number;
  chunks: Uint8Array[];
  /** Raw (little-endian) bytes of row `i`; a view, not a copy. */
  row(i: number): Uint8Array;
}

/** The npy header at the start of a member, checked: C order, little-endian, and exactly as many data bytes as the member holds. */
function layoutOf(file: string, entry: Entry, head: Uint8Array): NpyLayout & { dataOffset: number } {
  const key = keyOf(entry.name);
  const where = `${file}:${key}`;
  const h = parseNpyHeader(head, where);
  if (h.fortranOrder) throw npzError(file, `array '${key}' is stored in Fortran order`, 'save it with np.ascontiguousarray');
  const { dtype, itemsize, bigEndian } = describeDtype(h.descr, where);
  if (bigEndian) throw npzError(file, `array '${key}' is big-endian`, "save it as little-endian (arr.astype(arr.dtype.newbyteorder('<')))");
  const nRows = h.shape[0] ?? 1;
  const rowBytes = h.shape.slice(1).reduce((a, b) => a * b, 1) * itemsize;
  if (entry.size - h.dataOffset !== nRows * rowBytes) {
    throw npzError(file, `array '${key}' declares shape (${h.shape.join(', ')}) ${h.descr}, ${nRows * rowBytes} bytes, but its member holds ${entry.size - h.dataOffset}`, HEADER_MISMATCH);
  }
  return { dtype, shape: h.shape, rowBytes, dataOffset: h.dataOffset };
}

/** Longest npy header read (format 2/3 allow 4 GiB; numpy writes a few hundred bytes). */
const MAX_NPY_HEADER = 1 << 20;

/**
 * The first bytes of a member, up to the end of its npy header: the stored bytes are streamed
 * through inflate only until the header is complete, so this costs kilobytes for any member.
 */
async function readNpyHead(fh: fs.FileHandle, file: string, fileSize: number, entry: Entry): Promise<Uint8Array> {
  const dataStart = await locateEntry(fh, file, fileSize, entry);
  if (entry.compressedSize === 0) return new Uint8Array(0);
  const src = createReadStream(file, { start: dataStart, end: dataStart + entry.compressedSize - 1, highWaterMark: 16 << 10 });
  const inflate = entry.method === 8 ? createInflateRaw({ chunkSize: 16 << 10 }) : undefined;
  const bytes = inflate ? (src.on('error', (e) => inflate.destroy(e)), src.pipe(inflate)) : src;
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of bytes as AsyncIterable<Buffer>) {
      head = Buffer.concat([head, chunk]);
      // Magic (6) + version (2) + header length (2 bytes in format 1, 4 in 2/3), then the header.
      const need = head.length < 12 ? 12 : head[6] === 1 ? 10 + head.readUInt16LE(8) : 12 + head.readUInt32LE(8);
      if (head.length >= Math.min(need, MAX_NPY_HEADER, entry.size)) break;
    }
  } catch (e) {
    throw npzError(file, `corrupt entry '${keyOf(entry.name)}': ${(e as Error).message}`, REDOWNLOAD, e);
  } finally {
    src.destroy();
    inflate?.destroy();
  }
  return head.subarray(0, entry.size);
}

async function inflateRows(
  fh: fs.FileHandle,
  file: string,
  fileSize: number,
  entry: Entry,
  maxChunkBytes: number,
  onBytes?: (n: number) => void,
): Promise<NpyRows> {
  const key = keyOf(entry.name);
  let head: Uint8Array | undefined = new Uint8Array(Math.min(entry.size, 1 << 16));
  let headLen = 0;
  let layout: Omit<NpyRows, 'row'> & { nRows: number } | undefined;
  let dataAt = 0; // data bytes placed so far

  const place = (bytes: Uint8Array): void => {
    const l = layout!;
    let p = 0;
    while (p < bytes.length) {
      const chunkBytes = l.rowsPerChunk * l.rowBytes;
      const k = Math.floor(dataAt / chunkBytes);
      const off = dataAt - k * chunkBytes;
      if (!l.chunks[k]) l.chunks[k] = new Uint8Array(Math.min(l.rowsPerChunk, l.nRows - k * l.rowsPerChunk) * l.rowBytes);
      const n = Math.min(bytes.length - p, l.chunks[k].length - off);
      if (n <= 0) throw npzError(file, `corrupt entry '${key}': more data than its shape holds`, REDOWNLOAD);
      l.chunks[k].set(bytes.subarray(p, p + n), off);
      p += n;
      dataAt += n;
    }
  };

  const start = (): void => {
    const { dtype, shape, rowBytes, dataOffset } = layoutOf(file, entry, head!.subarray(0, headLen));
    const nRows = shape[0] ?? 1;
    const rowsPerChunk = Math.max(1, Math.min(nRows, Math.floor(maxChunkBytes / Math.max(rowBytes, 1))));
    if (rowsPerChunk * rowBytes > MAX_ENTRY) throw npzError(file, `array '${key}' has rows of ${rowBytes} bytes, too large to hold`, 'use a smaller image size');
    layout = { dtype, shape, rowBytes, rowsPerChunk, chunks: [], nRows };
    const rest = head!.subarray(dataOffset, headLen);
    head = undefined;
    place(rest);
  };

  await streamEntry(fh, file, fileSize, entry, (chunk) => {
    onBytes?.(chunk.length);
    if (layout) return place(chunk);
    const n = Math.min(chunk.length, head!.length - headLen);
    head!.set(chunk.subarray(0, n), headLen);
    headLen += n;
    if (headLen === head!.length) {
      start();
      if (n < chunk.length) place(chunk.subarray(n));
    }
  });
  if (!layout) start(); // a member smaller than the header buffer
  const l = layout!;
  const rowsPerChunk = l.rowsPerChunk;
  const rowBytes = l.rowBytes;
  return {
    dtype: l.dtype,
    shape: l.shape,
    rowBytes,
    rowsPerChunk,
    chunks: l.chunks,
    row(i: number): Uint8Array {
      const k = Math.floor(i / rowsPerChunk);
      const off = (i - k * rowsPerChunk) * rowBytes;
      return l.chunks[k].subarray(off, off + rowBytes);
    },
  };
}

/** Open an .npz for reading. Only the central directory is read now; arrays are read on `read(key)`. */
export async function openNpz(file: string): Promise<NpzFile> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MedprobeError(`no such npz file: ${file}`, { file, hint: 'check the path, or pull the dataset first (medprobe data pull)', cause: e });
    throw e;
  }
  if ((await fh.stat()).isDirectory()) {
    await fh.close();
    throw new MedprobeError(`${file} is a directory, not an npz file`, { file, hint: 'pass the .npz file itself' });
  }
  let entries: Entry[];
  let fileSize: number;
  try {
    fileSize = (await fh.stat()).size;
    entries = await readCentralDirectory(fh, file, fileSize);
  } finally {
    await fh.close();
  }
  const byKey = new Map(entries.map((e) => [keyOf(e.name), e]));
  const keys = [...byKey.keys()];
  const entryFor = (key: string): Entry => {
    const e = byKey.get(key);
    if (!e) throw npzError(file, `npz has no array '${key}' (found: ${keys.join(', ') || 'none'})`, 'check that this is the right file for the dataset');
    return e;
  };
  return {
    file,
    keys,
    sizeOf: (key) => entryFor(key).size,
    async read(key: string, opts: { onBytes?: (n: number) => void } = {}): Promise<NpyArray> {
      const entry = entryFor(key);
      const h = await fs.open(file, 'r');
      try {
        const bytes = await inflateEntry(h, file, fileSize, entry, opts.onBytes);
        return parseNpy(bytes, `${file}:${key}`);
      } finally {
        await h.close();
      }
    },
    async header(key: string): Promise<NpyLayout> {
      const entry = entryFor(key);
      const h = await fs.open(file, 'r');
      try {
        const { dtype, shape, rowBytes } = layoutOf(file, entry, await readNpyHead(h, file, fileSize, entry));
        return { dtype, shape, rowBytes };
      } finally {
        await h.close();
      }
    },
    async readRows(key: string, opts: { maxChunkBytes?: number; onBytes?: (n: number) => void } = {}): Promise<NpyRows> {
      const entry = entryFor(key);
      const h = await fs.open(file, 'r');
      try {
        return await inflateRows(h, file, fileSize, entry, opts.maxChunkBytes ?? 2 ** 30, opts.onBytes);
      } finally {
        await h.close();
      }
    },
  };
}

/** Throw one error naming every expected key that is absent. */
export function requireNpzKeys(npz: NpzFile, expected: readonly string[]): void {
  const missing = expected.filter((k) => !npz.keys.includes(k));
  if (missing.length > 0) {
    throw npzError(
      npz.file,
      `npz is missing ${missing.join(', ')} (expected ${expected.join(', ')}; found ${npz.keys.join(', ') || 'none'})`,
      'check that this is the right file for the dataset',
    );
  }
}
