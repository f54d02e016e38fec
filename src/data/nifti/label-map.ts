import { MedprobeError } from '../../util/errors.js';
import { readNifti, type NiftiVolume, type ReadNiftiOptions } from './read.js';

/** World-mm tolerance when comparing affines: well below any voxel size, above float32 header noise. */
const AFFINE_TOL_MM = 1e-3;

function describe(v: NiftiVolume): string {
  const a = v.affine.slice(0, 12).map((x) => +x.toFixed(4));
  return `${v.width}×${v.height}×${v.depth}, affine [${a.join(' ')}]`;
}

/** Same voxel grid: equal shape, and every affine entry within tolerance (translations in mm, the 3×3 part relative). */
export function sameGrid(a: NiftiVolume, b: NiftiVolume, tol = AFFINE_TOL_MM): boolean {
  if (a.width !== b.width || a.height !== b.height || a.depth !== b.depth) return false;
  return a.affine.every((v, i) => Math.abs(v - b.affine[i]) <= tol * Math.max(1, Math.abs(v)));
}

/**
 * Read a label map that must lie on `reference`'s voxel grid (same shape and affine after both are
 * made canonical). Labels must be integers; they come back as Uint8/Int16/Uint16 as stored, or as
 * Float32 holding exact integers when stored as another type.
 */
export async function readNiftiLabelMap(file: string, reference: NiftiVolume, opts: Pick<ReadNiftiOptions, 'volume'> = {}): Promise<NiftiVolume> {
  const labels = await readNifti(file, { canonical: reference.canonical, volume: opts.volume });
  if (!sameGrid(labels, reference)) {
    throw new MedprobeError(`label map ${file} (${describe(labels)}) is not on the grid of ${reference.file} (${describe(reference)})`, {
      file,
      hint: 'resample the label map onto the image grid (nearest neighbour), e.g. with nibabel or ITK, or pair it with the image it was drawn on',
    });
  }
  for (let i = 0; i < labels.data.length; i++) {
    const v = labels.data[i];
    if (!Number.isInteger(v)) {
      throw new MedprobeError(`label map ${file} holds a non-integer value ${v} at voxel ${i}`, { file, hint: 'label maps must hold integer class ids; round or re-export it' });
    }
  }
  return labels;
}
