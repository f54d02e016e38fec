import { writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { zipSync, type Zippable } from 'fflate';
import { encodeNpy, type NpyData } from '../../src/util/npy.js';

/** Test fixtures only: an .npz (numpy.savez layout: one `<key>.npy` member per array) built with fflate. */
export type NpzArrays = Record<string, { data: NpyData; shape: number[] }>;

export function npzBytes(arrays: NpzArrays, opts: { level?: 0 | 6 } = {}): Uint8Array {
  const files: Zippable = {};
  for (const [key, a] of Object.entries(arrays)) files[`${key}.npy`] = [encodeNpy(a.data, a.shape), { level: opts.level ?? 6 }];
  return zipSync(files);
}

export async function writeNpz(file: string, arrays: NpzArrays, opts: { level?: 0 | 6 } = {}): Promise<Uint8Array> {
  const bytes = npzBytes(arrays, opts);
  await writeFile(file, bytes);
  return bytes;
}

/** A MedMNIST-shaped npz: `{split}_images` uint8 and `{split}_labels` uint8 [N, width]. */
export function medmnistArrays(opts: {
  counts: [number, number, number];
  imageShape: number[];
  labelWidth?: number;
  classes?: number;
  labelCounts?: [number, number, number];
}): NpzArrays {
  const out: NpzArrays = {};
  const per = opts.imageShape.reduce((a, b) => a * b, 1);
  const width = opts.labelWidth ?? 1;
  (['train', 'val', 'test'] as const).forEach((split, s) => {
    const n = opts.counts[s];
    const images = new Uint8Array(n * per);
    // Every image starts with its split index and sample index, so views can be checked.
    for (let i = 0; i < n; i++) {
      images[i * per] = s;
      images[i * per + 1] = i;
      for (let k = 2; k < per; k++) images[i * per + k] = (i * 7 + k) & 0xff;
    }
    const ln = opts.labelCounts?.[s] ?? n;
    const labels = new Uint8Array(ln * width);
    for (let i = 0; i < labels.length; i++) labels[i] = width > 1 ? (i * 5) % 3 === 0 ? 1 : 0 : i % (opts.classes ?? 2);
    out[`${split}_images`] = { data: images, shape: [n, ...opts.imageShape] };
    out[`${split}_labels`] = { data: labels, shape: [ln, width] };
  });
  return out;
}

/**
 * A stored (uncompressed) zip that uses zip64 records everywhere — sizes and offsets as
 * 0xffffffff with the real values in zip64 extra fields, plus the zip64 end record and locator —
 * the layout numpy/Python produce for members and archives over 4 GiB (MedMNIST+ 224 px).
 */
export function zip64NpzBytes(arrays: NpzArrays): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [key, a] of Object.entries(arrays)) {
    const data = Buffer.from(encodeNpy(a.data, a.shape));
    const name = Buffer.from(`${key}.npy`);
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30 + name.length + 20);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(0xffffffff, 18);
    local.writeUInt32LE(0xffffffff, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(20, 28);
    name.copy(local, 30);
    local.writeUInt16LE(1, 30 + name.length);
    local.writeUInt16LE(16, 32 + name.length);
    local.writeBigUInt64LE(BigInt(data.length), 34 + name.length);
    local.writeBigUInt64LE(BigInt(data.length), 42 + name.length);
    const cd = Buffer.alloc(46 + name.length + 28);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(45, 4);
    cd.writeUInt16LE(45, 6);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(0xffffffff, 20);
    cd.writeUInt32LE(0xffffffff, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(28, 30);
    cd.writeUInt32LE(0xffffffff, 42);
    name.copy(cd, 46);
    const e = 46 + name.length;
    cd.writeUInt16LE(1, e);
    cd.writeUInt16LE(24, e + 2);
    cd.writeBigUInt64LE(BigInt(data.length), e + 4); // uncompressed
    cd.writeBigUInt64LE(BigInt(data.length), e + 12); // compressed
    cd.writeBigUInt64LE(BigInt(offset), e + 20); // local header offset
    parts.push(local, data);
    central.push(cd);
    offset += local.length + data.length;
  }
  const cdBytes = Buffer.concat(central);
  const cdOffset = offset;
  const z64 = Buffer.alloc(56);
  z64.writeUInt32LE(0x06064b50, 0);
  z64.writeBigUInt64LE(44n, 4);
  z64.writeUInt16LE(45, 12);
  z64.writeUInt16LE(45, 14);
  z64.writeBigUInt64LE(BigInt(central.length), 24);
  z64.writeBigUInt64LE(BigInt(central.length), 32);
  z64.writeBigUInt64LE(BigInt(cdBytes.length), 40);
  z64.writeBigUInt64LE(BigInt(cdOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(cdOffset + cdBytes.length), 8);
  locator.writeUInt32LE(1, 16);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(0xffff, 8);
  eocd.writeUInt16LE(0xffff, 10);
  eocd.writeUInt32LE(0xffffffff, 12);
  eocd.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([...parts, cdBytes, z64, locator, eocd]);
}
