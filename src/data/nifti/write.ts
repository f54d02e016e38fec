import { gzipSync } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import type { Volume3D } from '../types.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { MedprobeError } from '../../util/errors.js';

const DATATYPE: [new (...a: never[]) => unknown, number, number][] = [
  [Uint8Array, 2, 8],
  [Int16Array, 4, 16],
  [Uint16Array, 512, 16],
  [Float32Array, 16, 32],
];

/**
 * Quaternion parameters of the rotation part of an affine, per nifti1_io.c `nifti_mat44_to_quatern`
 * (columns normalised; a negative determinant becomes qfac = −1 with the third column negated).
 */
export function affineToQuaternion(affine: readonly number[]): { b: number; c: number; d: number; qfac: 1 | -1; spacing: [number, number, number] } {
  const col = (j: number) => [affine[j], affine[4 + j], affine[8 + j]];
  const cols = [col(0), col(1), col(2)];
  const spacing = cols.map((c) => Math.hypot(...c) || 1) as [number, number, number];
  const r = cols.map((c, j) => c.map((v) => v / spacing[j]));
  // r[j][i] = row i of column j
  const det = r[0][0] * (r[1][1] * r[2][2] - r[2][1] * r[1][2]) - r[1][0] * (r[0][1] * r[2][2] - r[2][1] * r[0][2]) + r[2][0] * (r[0][1] * r[1][2] - r[1][1] * r[0][2]);
  const qfac: 1 | -1 = det < 0 ? -1 : 1;
  if (qfac < 0) r[2] = r[2].map((v) => -v);
  const [r11, r21, r31] = r[0];
  const [r12, r22, r32] = r[1];
  const [r13, r23, r33] = r[2];
  let a = r11 + r22 + r33 + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac, spacing };
}

/**
 * Write a volume as NIfTI-1 (gzip-compressed when the name ends in .gz), atomically. `affine`
 * (row-major 4×4, voxel → RAS+ mm) goes into both the sform and the qform (code 1, scanner), so
 * tools that prefer either read the same grid. Data type follows the array: uint8, int16, uint16 or
 * float32; no scaling. Pass the affine of the image the volume was computed from (e.g. a predicted
 * mask) so it overlays the source.
 */
export async function writeNifti(file: string, volume: Volume3D, affine: readonly number[] | undefined = volume.affine): Promise<void> {
  const n = volume.width * volume.height * volume.depth;
  if (volume.data.length !== n) throw new RangeError(`volume has ${volume.data.length} voxels, expected ${volume.width}×${volume.height}×${volume.depth}`);
  const A = affine ?? [...(volume.spacing ?? [1, 1, 1]).flatMap((s, i) => [i === 0 ? s : 0, i === 1 ? s : 0, i === 2 ? s : 0, 0]), 0, 0, 0, 1];
  if (A.length !== 16 || A.some((v) => !Number.isFinite(v))) {
    throw new MedprobeError(`cannot write ${file}: the affine must be 16 finite numbers (row-major 4×4)`, { file, hint: 'pass the source image affine' });
  }
  const dt = DATATYPE.find(([ctor]) => volume.data instanceof ctor);
  if (!dt) throw new MedprobeError(`cannot write ${file}: unsupported voxel array ${volume.data.constructor.name}`, { file, hint: 'use Uint8Array, Int16Array, Uint16Array or Float32Array' });
  const q = affineToQuaternion(A);
  const h = new nifti.NIFTI1();
  h.littleEndian = true;
  h.dims = [3, volume.width, volume.height, volume.depth, 1, 1, 1, 1];
  h.datatypeCode = dt[1];
  h.numBitsPerVoxel = dt[2];
  h.pixDims = [q.qfac, ...q.spacing, 1, 1, 1, 1];
  h.vox_offset = 352;
  h.scl_slope = 1;
  h.scl_inter = 0;
  h.xyzt_units = 2; // NIFTI_UNITS_MM
  h.qform_code = 1;
  h.sform_code = 1;
  h.quatern_b = q.b;
  h.quatern_c = q.c;
  h.quatern_d = q.d;
  h.qoffset_x = A[3];
  h.qoffset_y = A[7];
  h.qoffset_z = A[11];
  h.affine = [A.slice(0, 4), A.slice(4, 8), A.slice(8, 12), [0, 0, 0, 1]];
  h.description = 'medprobe';
  h.magic = 'n+1';
  const header = new Uint8Array(h.toArrayBuffer(false));
  const body = new Uint8Array(volume.data.buffer, volume.data.byteOffset, volume.data.byteLength);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const bytes = new Uint8Array(header.length + body.length);
  bytes.set(header, 0);
  bytes.set(body, header.length);
  if (!le && dt[2] > 8) {
    const size = dt[2] / 8;
    for (let i = header.length; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  }
  await writeFileAtomic(file, file.endsWith('.gz') ? new Uint8Array(gzipSync(bytes)) : bytes);
}
