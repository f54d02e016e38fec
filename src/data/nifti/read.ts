import { createReadStream, promises as fs } from 'node:fs';
import { createGunzip, gunzipSync } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import type { Volume3D } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import { cannotRead } from '../../util/fs-errors.js';
import { assertWithinMemoryBudget, formatBytes, memoryBudgetBytes } from '../../util/memory-budget.js';
import { axisCodes, closestCanonical, IDENTITY_REORIENTATION, reorientData, reorientGrid, type Axes, type Reorientation } from './orientation.js';

export type NiftiData = Uint8Array | Int16Array | Uint16Array | Float32Array;

/**
 * A NIfTI volume. Unless read with `canonical: false`, voxels are reordered (permute/flip only, no
 * resampling) to RAS+: x runs to the patient's Right, y Anterior, z Superior, and `affine`
 * (row-major 4×4, voxel index → world mm) is updated to match, like nibabel's as_closest_canonical.
 * `data` is x-fastest: index = x + width·(y + height·z).
 */
export interface NiftiVolume extends Volume3D {
  data: NiftiData;
  affine: number[];
  spacing: [number, number, number];
  file: string;
  /** Whether the voxels were reoriented to RAS+ (readNifti's `canonical` option). */
  canonical: boolean;
  /** Voxel-axis orientation of the file as stored, e.g. "LAS"; the volume itself is "RAS" when canonical. */
  sourceOrientation: string;
  sourceShape: Axes;
  sourceAffine: number[];
  reorientation: Reorientation;
  header: {
    version: 1 | 2;
    datatypeCode: number;
    datatype: string;
    sclSlope: number;
    sclInter: number;
    qformCode: number;
    sformCode: number;
    /** Which header field the affine came from (NIfTI-1 §"method 3/2/1"). */
    affineSource: 'sform' | 'qform' | 'pixdim';
    /** Number of 3D volumes in the file (dims 4–7); `volume` picked one. */
    volumes: number;
    /** Voxels of the read volume that are NaN or ±Inf (float data or scaling); a volume of only these is refused. */
    nonFinite: number;
    description: string;
  };
}

export interface ReadNiftiOptions {
  /** Reorient to RAS+ (default true). */
  canonical?: boolean;
  /** Which 3D volume of a 4D+ file (default 0). */
  volume?: number;
}

const DATATYPES: Record<number, { name: string; bytes: number }> = {
  2: { name: 'uint8', bytes: 1 },
  4: { name: 'int16', bytes: 2 },
  8: { name: 'int32', bytes: 4 },
  16: { name: 'float32', bytes: 4 },
  64: { name: 'float64', bytes: 8 },
  256: { name: 'int8', bytes: 1 },
  512: { name: 'uint16', bytes: 2 },
  768: { name: 'uint32', bytes: 4 },
  1024: { name: 'int64', bytes: 8 },
  1280: { name: 'uint64', bytes: 8 },
};

const HINT_CORRUPT = 'the file is damaged or not NIfTI; re-export it (e.g. with nibabel or dcm2niix)';

/**
 * Read a .nii or .nii.gz. The header is read first and what it declares is checked against the
 * file and the memory budget before the voxels are allocated: a small .gz that declares gigabytes
 * is refused in one line, not inflated. Only the bytes up to the requested volume are read (a .gz
 * is stream-inflated with that cap, never gunzipped whole).
 */
export async function readNifti(file: string, opts: ReadNiftiOptions = {}): Promise<NiftiVolume> {
  let size: number;
  let head: Uint8Array;
  try {
    size = (await fs.stat(file)).size;
    const fh = await fs.open(file, 'r');
    try {
      head = new Uint8Array(Math.min(size, 2));
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw cannotRead(file, e, 'NIfTI file', 'fix the path (a manifest path is relative to its root), or leave the volume out of the list');
  }
  const gzipped = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  if (!gzipped && /\.gz$/i.test(file)) throw new MedprobeError(`${file} is named .gz but is not gzip-compressed`, { file, hint: 'rename it to .nii, or compress it (gzip)' });
  // The header (and any extensions) sits in the first KiB of the file for every real NIfTI.
  const header = await readPrefix(file, gzipped, Math.min(HEADER_PEEK, gzipped ? Infinity : size));
  const layout = voxelLayout(header, file, opts);
  if (!gzipped && layout.end > size) throw truncated(file, layout, size, 'the file has');
  assertVolumeFits(file, layout);
  return decodeNifti(await readPrefix(file, gzipped, layout.end), file, opts, gzipped);
}

const HEADER_PEEK = 1 << 16;

/** The first `n` bytes of the file, inflated when gzipped (stream-inflated, stopping at `n`: never the whole file). */
async function readPrefix(file: string, gzipped: boolean, n: number): Promise<Uint8Array> {
  if (!gzipped) {
    const fh = await fs.open(file, 'r');
    try {
      const out = new Uint8Array(n);
      let at = 0;
      while (at < n) {
        const { bytesRead } = await fh.read(out, at, n - at, at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      return out.subarray(0, at);
    } finally {
      await fh.close();
    }
  }
  const cap = Number.isFinite(n) ? n : HEADER_PEEK;
  // Inflated straight into a buffer of the size the (already budget-checked) header asks for: no chunk list, no concat copy.
  const out = new Uint8Array(cap);
  let have = 0;
  const src = createReadStream(file);
  const gz = createGunzip();
  src.on('error', (e) => gz.destroy(e));
  src.pipe(gz);
  try {
    for await (const chunk of gz as AsyncIterable<Buffer>) {
      const take = chunk.subarray(0, Math.min(chunk.length, cap - have));
      out.set(take, have);
      have += take.length;
      if (have >= cap) break;
    }
  } catch (e) {
    // A truncated stream that still gave the header: the caller's length check names it better.
    if (have < Math.min(cap, 352)) throw new MedprobeError(`${file} is a corrupt gzip file: ${(e as Error).message}`, { file, hint: HINT_CORRUPT, cause: e });
  } finally {
    src.destroy();
    gz.destroy();
  }
  return out.subarray(0, have);
}

interface VoxelLayout {
  shape: Axes;
  n: number;
  dt: { name: string; bytes: number };
  /** Byte offset of the requested volume's first voxel in the (inflated) file. */
  offset: number;
  /** Bytes of the (inflated) file needed, up to the end of the requested volume. */
  end: number;
}

function truncated(file: string, l: VoxelLayout, have: number, what: string): MedprobeError {
  return new MedprobeError(`${file} is truncated: ${l.shape.join('×')} ${l.dt.name} voxels need ${l.end} bytes, ${what} ${have}`, {
    file,
    hint: 'the file was cut short; re-copy or re-export it',
  });
}

/** Parse and check the header (dimensions, datatype, volume index) and where the voxels lie, before any voxel is read. */
function voxelLayout(bytes: Uint8Array, file: string, opts: ReadNiftiOptions): VoxelLayout & { h: nifti.NIFTI1 | nifti.NIFTI2; version: 1 | 2; volumes: number; volume: number; keepsType: boolean } {
  // nifti-reader-js wants an ArrayBuffer: hand it the header bytes only, never a copy of the voxels.
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + Math.min(bytes.byteLength, HEADER_PEEK)) as ArrayBuffer;
  if (!nifti.isNIFTI(buf)) {
    throw new MedprobeError(`${file} is not a NIfTI-1/2 file (no n+1/ni1/n+2 magic)`, { file, hint: 'pass a .nii or .nii.gz file; Analyze .hdr/.img pairs are not read' });
  }
  let h: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    h = nifti.readHeader(buf);
  } catch (e) {
    throw new MedprobeError(`${file} has a corrupt NIfTI header: ${(e as Error).message}`, { file, hint: HINT_CORRUPT, cause: e });
  }
  const version: 1 | 2 = h instanceof nifti.NIFTI2 ? 2 : 1;
  const ndim = h.dims[0];
  if (!(ndim >= 2 && ndim <= 7)) throw new MedprobeError(`${file} has dim[0] = ${ndim}; NIfTI requires 1–7 and medprobe reads 2–7`, { file, hint: HINT_CORRUPT });
  // Every dimension in use is a positive integer: dim[3] = 0 or a negative size is a broken header,
  // never a 1-slice volume.
  for (let d = 1; d <= ndim; d++) {
    if (!Number.isInteger(h.dims[d]) || h.dims[d] < (d <= 3 ? 1 : 0)) {
      throw new MedprobeError(`${file} has dim[${d}] = ${h.dims[d]} (dims ${h.dims.slice(1, ndim + 1).join(' × ')}); a volume's sizes must be ≥ 1`, { file, hint: HINT_CORRUPT });
    }
  }
  const shape: Axes = [h.dims[1], h.dims[2], ndim >= 3 ? h.dims[3] : 1];
  let volumes = 1;
  for (let d = 4; d <= ndim; d++) volumes *= Math.max(1, h.dims[d]);
  const volume = opts.volume ?? 0;
  if (volume < 0 || volume >= volumes) throw new MedprobeError(`${file} holds ${volumes} volume(s); volume ${volume} requested`, { file, hint: `pick a volume in 0..${volumes - 1}` });
  const dt = DATATYPES[h.datatypeCode];
  if (!dt) {
    throw new MedprobeError(`${file} has NIfTI datatype ${h.datatypeCode} (${h.getDatatypeCodeString(h.datatypeCode)}), which medprobe does not read`, {
      file,
      hint: 'convert it to a scalar type (uint8/int16/uint16/int32/float32/float64), e.g. with nibabel',
    });
  }
  const n = shape[0] * shape[1] * shape[2];
  const offset = Math.max(Math.floor(h.vox_offset), version === 1 ? 352 : 544) + volume * n * dt.bytes;
  const end = offset + n * dt.bytes;
  return { shape, n, dt, offset, end: Number.isFinite(end) ? end : Infinity, h, version, volumes, volume, keepsType: [2, 4, 512, 16].includes(h.datatypeCode) };
}

/** Memory reading the volume takes (inflated bytes, the voxel copy, a Float32 conversion, the RAS+ reorder) against the budget. */
function assertVolumeFits(file: string, l: VoxelLayout & { keepsType: boolean }): void {
  const need = l.end + l.n * l.dt.bytes + 2 * l.n * (l.keepsType ? l.dt.bytes : 4);
  assertWithinMemoryBudget(file, need, `${l.shape.join('×')} ${l.dt.name} voxels (${formatBytes(l.n * l.dt.bytes)})`);
}

export function niftiFromBytes(input: Uint8Array, file: string, opts: ReadNiftiOptions = {}): NiftiVolume {
  let bytes = input;
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!gzipped && /\.gz$/i.test(file)) {
    throw new MedprobeError(`${file} is named .gz but is not gzip-compressed`, { file, hint: 'rename it to .nii, or compress it (gzip)' });
  }
  if (gzipped) {
    try {
      // node:zlib (native) rather than fflate: ~3× faster inflating large members (npm run bench:npz).
      // Capped at the memory budget: an in-memory bomb fails here instead of filling the machine.
      bytes = new Uint8Array(gunzipSync(bytes, { maxOutputLength: Math.min(memoryBudgetBytes(), 2 ** 32) }));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new MedprobeError(`${file} inflates to more than the ${formatBytes(memoryBudgetBytes())} memory budget`, { file, hint: 'if the file is genuine, raise --memory-budget (or $MEDPROBE_MEMORY_BUDGET) on a machine that has the memory; otherwise it is damaged or hostile' });
      }
      throw new MedprobeError(`${file} is a corrupt gzip file: ${(e as Error).message}`, { file, hint: HINT_CORRUPT, cause: e });
    }
  }
  return decodeNifti(bytes, file, opts, gzipped);
}

/** A NIfTI from its (inflated) bytes: header checks, voxels, NaN count, RAS+ reorientation. */
function decodeNifti(bytes: Uint8Array, file: string, opts: ReadNiftiOptions, gzipped: boolean): NiftiVolume {
  const layout = voxelLayout(bytes, file, opts);
  const { h, version, shape, n, dt, offset, volumes } = layout;
  if (layout.end > bytes.length) throw truncated(file, layout, bytes.length, gzipped ? 'it inflates to' : 'the file has');
  assertVolumeFits(file, layout);


  const slope = h.scl_slope;
  const inter = h.scl_inter;
  // NIfTI-1: scl_slope 0 (or non-finite) means "no scaling".
  const scaled = Number.isFinite(slope) && slope !== 0 && !(slope === 1 && (inter === 0 || !Number.isFinite(inter)));
  let data = decodeVoxels(bytes, offset, n, h.datatypeCode, h.littleEndian, scaled ? slope : 1, scaled && Number.isFinite(inter) ? inter : 0);
  let nonFinite = 0;
  if (data instanceof Float32Array || data instanceof Float64Array || scaled) for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) nonFinite++;
  if (nonFinite === n) {
    throw new MedprobeError(`${file}: all ${n} voxels are NaN or infinite`, { file, hint: 'the export failed or the wrong volume was saved; re-export it' });
  }

  const { affine: sourceAffine, source } = headerAffine(h);
  const canonical = opts.canonical ?? true;
  const reorientation = canonical ? closestCanonical(sourceAffine) : IDENTITY_REORIENTATION;
  const grid = reorientGrid(shape, sourceAffine, reorientation);
  data = reorientData(data, shape, reorientation, (len) => new (data.constructor as new (l: number) => NiftiData)(len));
  const spacing = [0, 1, 2].map((j) => Math.hypot(grid.affine[j], grid.affine[4 + j], grid.affine[8 + j])) as [number, number, number];
  return {
    kind: '3d',
    width: grid.shape[0],
    height: grid.shape[1],
    depth: grid.shape[2],
    data,
    affine: grid.affine,
    spacing,
    file,
    canonical,
    sourceOrientation: axisCodes(sourceAffine),
    sourceShape: shape,
    sourceAffine,
    reorientation,
    header: {
      version,
      datatypeCode: h.datatypeCode,
      datatype: dt.name,
      sclSlope: slope,
      sclInter: inter,
      qformCode: h.qform_code,
      sformCode: h.sform_code,
      affineSource: source,
      volumes,
      nonFinite,
      description: h.description.replace(/\0/g, '').trim(),
    },
  };
}

/** NIfTI-1 §"Method 3" (sform) when sform_code > 0, else "Method 2" (qform) when qform_code > 0, else "Method 1" (pixdim scaling only). */
function headerAffine(h: nifti.NIFTI1 | nifti.NIFTI2): { affine: number[]; source: 'sform' | 'qform' | 'pixdim' } {
  if (h.sform_code > 0) return { affine: [...h.affine.slice(0, 3).flat(), 0, 0, 0, 1].map(Number), source: 'sform' };
  if (h.qform_code > 0) {
    const q = h.getQformMat();
    return { affine: [...q.slice(0, 3).flat(), 0, 0, 0, 1].map(Number), source: 'qform' };
  }
  const d = [1, 2, 3].map((i) => (h.pixDims[i] > 0 ? h.pixDims[i] : 1));
  return { affine: [d[0], 0, 0, 0, 0, d[1], 0, 0, 0, 0, d[2], 0, 0, 0, 0, 1], source: 'pixdim' };
}

type Typed = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
const VIEWS: Record<number, new (b: ArrayBuffer) => Typed> = {
  2: Uint8Array,
  256: Int8Array,
  4: Int16Array,
  512: Uint16Array,
  8: Int32Array,
  768: Uint32Array,
  16: Float32Array,
  64: Float64Array,
  1024: BigInt64Array,
  1280: BigUint64Array,
};
const NATIVE_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Voxels → typed array. uint8/int16/uint16/float32 without scaling keep their type (labels stay
 * integers); everything else, and anything scaled, becomes Float32 (value × slope + inter).
 * Byte order is fixed first (swapping in place), so the conversion is one pass over a typed array.
 */
function decodeVoxels(bytes: Uint8Array, offset: number, n: number, code: number, le: boolean, slope: number, inter: number): NiftiData {
  const size = DATATYPES[code].bytes;
  const copy = bytes.slice(offset, offset + n * size);
  if (le !== NATIVE_LE && size > 1) {
    for (let i = 0; i < copy.length; i += size) {
      for (let a = i, b = i + size - 1; a < b; a++, b--) {
        const t = copy[a];
        copy[a] = copy[b];
        copy[b] = t;
      }
    }
  }
  const src = new VIEWS[code](copy.buffer);
  const identity = slope === 1 && inter === 0;
  if (identity && (src instanceof Uint8Array || src instanceof Int16Array || src instanceof Uint16Array || src instanceof Float32Array)) return src;
  const out = new Float32Array(n);
  if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) out[i] = Number(src[i]) * slope + inter;
  } else {
    for (let i = 0; i < n; i++) out[i] = src[i] * slope + inter;
  }
  return out;
}
