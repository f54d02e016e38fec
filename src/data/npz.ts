import { promises as fs } from 'node:fs';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { MedprobeError } from '../util/errors.js';
import { parseNpy, type NpyArray } from '../util/npy.js';

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

/** Largest member we inflate into one buffer (Node 20 caps a Buffer at 4 GiB). */
const MAX_ENTRY = 2 ** 32 - 1;

async function inflateEntry(fh: fs.FileHandle, file: string, fileSize: number, entry: Entry, onBytes?: (n: number) => void): Promise<Uint8Array> {
  const key = keyOf(entry.name);
  const lh = await readAt(fh, entry.localHeaderOffset, 30);
  if (lh.length < 30 || lh.readUInt32LE(0) !== LOCAL_SIG) throw npzError(file, `corrupt entry '${key}': bad local header`, REDOWNLOAD);
  const dataStart = entry.localHeaderOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
  if (dataStart + entry.compressedSize > fileSize) {
    throw npzError(file, `truncated npz: entry '${key}' needs ${entry.compressedSize} bytes at offset ${dataStart} but the file ends at ${fileSize}`, REDOWNLOAD);
  }
  if (entry.size > MAX_ENTRY) {
    throw npzError(file, `entry '${key}' is ${(entry.size / 2 ** 30).toFixed(1)} GiB uncompressed, more than one buffer can hold`, 'use a smaller image size of this dataset (e.g. 128 instead of 224)');
  }
  if (entry.method !== 0 && entry.method !== 8) {
    throw npzError(file, `entry '${key}' uses zip compression method ${entry.method}`, 'only stored and deflate entries are supported; re-save with numpy.savez or savez_compressed');
  }
  const out = new Uint8Array(entry.size);
  let written = 0;
  let overflow = false;
  const sink = (chunk: Uint8Array): void => {
    if (written + chunk.length > out.length) {
      overflow = true;
      return;
    }
    out.set(chunk, written);
    written += chunk.length;
    onBytes?.(chunk.length);
  };
  try {
    if (entry.method === 0) {
      const { bytesRead } = await fh.read(out, 0, entry.size, dataStart);
      written = bytesRead;
      onBytes?.(bytesRead);
    } else if (entry.compressedSize > 0) {
      const src = createReadStream(file, { start: dataStart, end: dataStart + entry.compressedSize - 1, highWaterMark: CHUNK });
      await pipeline(src, createInflateRaw({ chunkSize: CHUNK }), async (inflated: AsyncIterable<Buffer>) => {
        for await (const chunk of inflated) sink(chunk);
      });
    }
  } catch (e) {
    if (e instanceof MedprobeError) throw e;
    throw npzError(file, `corrupt entry '${key}': ${(e as Error).message}`, REDOWNLOAD, e);
  }
  if (overflow || written !== entry.size) {
    throw npzError(file, `corrupt entry '${key}': inflated to ${overflow ? 'more than' : written} bytes, expected ${entry.size}`, REDOWNLOAD);
  }
  const got = crc32(out) >>> 0;
  if (got !== entry.crc >>> 0) {
    throw npzError(file, `corrupt entry '${key}': CRC-32 ${got.toString(16)} does not match ${(entry.crc >>> 0).toString(16)}`, REDOWNLOAD);
  }
  return out;
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
