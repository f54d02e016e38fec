import { promises as fs } from 'node:fs';
import { gzipSync } from 'fflate';
import * as nifti from 'nifti-reader-js';
import { writeFileAtomic } from '../../util/atomic.js';
import { MedprobeError } from '../../util/errors.js';
import type { Volume3D } from '../types.js';

/**
 * NIfTI-1 read/write for segmentation image + label pairs. Reading is nifti-reader-js; the
 * project-wide NIfTI source (src/data/nifti) was not in the tree when this was written — move
 * to it once it exports a reader/writer. Writing copies the source header (dims, pixdim,
 * qform, sform, units) and only changes the data type, so a predicted label map lands on the
 * exact grid and affine of the image it was predicted from.
 */
export interface NiftiVolume {
  volume: Volume3D;
  /** The 348-byte header as read (for writing outputs on the same grid). */
  header: Uint8Array;
  littleEndian: boolean;
  /** Voxel data type code (2 uint8, 4 int16, 16 float32, 512 uint16, …). */
  datatype: number;
}

export async function readNifti(file: string): Promise<NiftiVolume> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(file));
  } catch {
    throw new MedprobeError(`NIfTI file not found: ${file}`, { file, hint: 'check the path' });
  }
  let buf: ArrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    if (nifti.isCompressed(buf)) buf = nifti.decompress(buf) as ArrayBuffer;
  } catch (e) {
    throw new MedprobeError(`cannot gunzip ${file}: ${(e as Error).message}`, { file, hint: 'the file is truncated or not gzip' });
  }
  if (!nifti.isNIFTI1(buf)) throw new MedprobeError(`${file} is not a single-file NIfTI-1 image`, { file, hint: 'convert NIfTI-2 or .hdr/.img pairs to .nii / .nii.gz' });
  const h = nifti.readHeader(buf) as nifti.NIFTI1;
  const [rank, nx, ny, nz] = h.dims;
  if (rank < 3 || (rank > 3 && h.dims.slice(4, rank + 1).some((d) => d > 1))) {
    throw new MedprobeError(`${file} has ${rank} dimensions [${h.dims.slice(1, rank + 1).join(', ')}]; expected one 3D volume`, { file, hint: 'split 4D series into single volumes first' });
  }
  const raw = nifti.readImage(h, buf);
  const n = nx * ny * nz;
  const data = typedVoxels(raw, h.datatypeCode, n, file);
  const slope = h.scl_slope;
  const scaled = slope && !(slope === 1 && !h.scl_inter) ? Float32Array.from(data as ArrayLike<number>, (v) => v * slope + h.scl_inter) : data;
  const affine = h.affine.flat();
  const volume: Volume3D = {
    kind: '3d',
    width: nx,
    height: ny,
    depth: nz,
    data: scaled as Volume3D['data'],
    spacing: [h.pixDims[1], h.pixDims[2], h.pixDims[3]],
    affine,
  };
  return { volume, header: new Uint8Array(buf.slice(0, 348)), littleEndian: h.littleEndian, datatype: h.datatypeCode };
}

function typedVoxels(raw: ArrayBuffer, code: number, n: number, file: string): Uint8Array | Int16Array | Uint16Array | Int32Array | Float32Array | Float64Array | Int8Array | Uint32Array {
  switch (code) {
    case 2:
      return new Uint8Array(raw, 0, n);
    case 4:
      return new Int16Array(raw.slice(0, n * 2));
    case 8:
      return new Int32Array(raw.slice(0, n * 4));
    case 16:
      return new Float32Array(raw.slice(0, n * 4));
    case 64:
      return new Float64Array(raw.slice(0, n * 8));
    case 256:
      return new Int8Array(raw, 0, n);
    case 512:
      return new Uint16Array(raw.slice(0, n * 2));
    case 768:
      return new Uint32Array(raw.slice(0, n * 4));
    default:
      throw new MedprobeError(`${file}: NIfTI data type ${code} is not supported`, { file, hint: 'convert to uint8/int16/uint16/int32/float32' });
  }
}

/** Writes uint8 labels [z][y][x] with `like`'s header (grid, affine, units), as .nii or .nii.gz by extension. */
export async function writeNiftiLabelsLike(file: string, like: NiftiVolume, labels: Uint8Array): Promise<void> {
  const { width, height, depth } = like.volume;
  if (labels.length !== width * height * depth) throw new RangeError(`label volume has ${labels.length} voxels, header says ${width}×${height}×${depth}`);
  const out = new Uint8Array(352 + labels.length);
  out.set(like.header, 0);
  const dv = new DataView(out.buffer);
  const le = like.littleEndian;
  dv.setInt16(70, 2, le); // datatype: uint8
  dv.setInt16(72, 8, le); // bitpix
  dv.setFloat32(108, 352, le); // vox_offset
  dv.setFloat32(112, 1, le); // scl_slope
  dv.setFloat32(116, 0, le); // scl_inter
  dv.setFloat32(124, 255, le); // cal_max
  dv.setFloat32(128, 0, le); // cal_min
  out.set([0x6e, 0x2b, 0x31, 0], 344); // magic "n+1": single file
  out.set([0, 0, 0, 0], 348); // no extensions
  out.set(labels, 352);
  await writeFileAtomic(file, file.endsWith('.gz') ? gzipSync(out) : out);
}
