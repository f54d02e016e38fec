import type { Volume3D } from '../types.js';
import { closestCanonical, isIdentity, reorientData, reorientGrid, type Axes } from '../nifti/orientation.js';

/**
 * A volume with a RAS+ affine, permuted/flipped (no resampling) so voxel axes run R, A, S — the
 * same canonical frame readNifti gives, so a DICOM series and its NIfTI export slice identically.
 */
export function toCanonical<V extends Volume3D & { affine: number[] }>(v: V): V {
  const r = closestCanonical(v.affine);
  if (isIdentity(r)) return v;
  const shape: Axes = [v.width, v.height, v.depth];
  const grid = reorientGrid(shape, v.affine, r);
  const data = reorientData(v.data, shape, r, (n) => new (v.data.constructor as new (l: number) => typeof v.data)(n));
  const spacing = [0, 1, 2].map((j) => Math.hypot(grid.affine[j], grid.affine[4 + j], grid.affine[8 + j])) as [number, number, number];
  return { ...v, width: grid.shape[0], height: grid.shape[1], depth: grid.shape[2], data, affine: grid.affine, spacing };
}
