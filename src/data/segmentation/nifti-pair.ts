import { readNiftiLabelMap } from '../nifti/label-map.js';
import { readNifti, type NiftiVolume } from '../nifti/read.js';
import { MedprobeError } from '../../util/errors.js';
import { valueLookup, type SegCard } from './card.js';

/**
 * A NIfTI image + label map for slice-wise segmentation, read through src/data/nifti
 * (RAS+ canonical voxel order, so slice axes mean axial/coronal/sagittal).
 */
export interface NiftiSegPair {
  id: string;
  image: NiftiVolume;
  /** The label map as read (its grid and affine are the image's). */
  labelMap: NiftiVolume;
  /** Class index per voxel, x-fastest like the image. */
  labels: Uint8Array;
  /** Class names in index order (0 background). */
  classes: string[];
  /** Label-file value of each class. */
  values: number[];
  files: { image: string; labels: string };
}

/**
 * When the label map covers an exact sub-block of the image grid (same voxel axes and spacing,
 * origin shifted by whole voxels — e.g. PD25's subcortical labels inside the full template),
 * cut that block out of the image: no interpolation, so image and labels stay voxel-exact.
 * Returns null when the grids are not related that way.
 */
export function cropToLabelGrid(image: NiftiVolume, labels: NiftiVolume): NiftiVolume | null {
  const a = image.affine;
  const b = labels.affine;
  for (const i of [0, 1, 2, 4, 5, 6, 8, 9, 10]) if (Math.abs(a[i] - b[i]) > 1e-4) return null;
  const m = [a[0], a[1], a[2], a[4], a[5], a[6], a[8], a[9], a[10]];
  const det3 = (q: number[]): number => q[0] * (q[4] * q[8] - q[5] * q[7]) - q[1] * (q[3] * q[8] - q[5] * q[6]) + q[2] * (q[3] * q[7] - q[4] * q[6]);
  const det = det3(m);
  if (Math.abs(det) < 1e-12) return null;
  const d = [b[3] - a[3], b[7] - a[7], b[11] - a[11]];
  // Cramer's rule for the voxel offset o with M·o = d.
  const o = [0, 1, 2].map((col) => {
    const mm = m.slice();
    for (let r = 0; r < 3; r++) mm[r * 3 + col] = d[r];
    return det3(mm) / det;
  });
  if (o.some((v) => Math.abs(v - Math.round(v)) > 1e-3)) return null;
  const [ox, oy, oz] = o.map(Math.round);
  const { width: nx, height: ny, depth: nz } = labels;
  if (ox < 0 || oy < 0 || oz < 0 || ox + nx > image.width || oy + ny > image.height || oz + nz > image.depth) return null;
  const data = new Float32Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[(z * ny + y) * nx + x] = image.data[((z + oz) * image.height + y + oy) * image.width + x + ox];
  return { ...image, width: nx, height: ny, depth: nz, data, affine: labels.affine.slice() };
}

/**
 * A NIfTI image + label map. Without a card the classes are the label values present
 * (0 = background, then the others ascending); with one, every value must be in the card.
 * `cropToLabels`: accept a label map on a whole-voxel sub-block of the image grid (see cropToLabelGrid).
 * A label map on any other grid is refused by readNiftiLabelMap, naming both files.
 */
export async function loadNiftiPair(imageFile: string, labelFile: string, opts: { card?: SegCard; id?: string; cropToLabels?: boolean } = {}): Promise<NiftiSegPair> {
  const files = { image: imageFile, labels: labelFile };
  let image = await readNifti(imageFile);
  if (opts.cropToLabels) image = cropToLabelGrid(image, await readNifti(labelFile, { canonical: image.canonical })) ?? image;
  const labelMap = await readNiftiLabelMap(labelFile, image);
  const raw = labelMap.data;
  let values: number[];
  let classes: string[];
  if (opts.card) {
    values = opts.card.classes.map((c) => c.value);
    classes = opts.card.classes.map((c) => c.name);
  } else {
    const seen = new Set<number>();
    for (let i = 0; i < raw.length; i++) seen.add(raw[i]);
    values = [0, ...[...seen].filter((v) => v !== 0).sort((a, b) => a - b)];
    classes = values.map((v) => (v === 0 ? 'background' : `label ${v}`));
  }
  if (values.length > 255) throw new MedprobeError(`${labelFile} has ${values.length} distinct labels`, { file: labelFile, hint: 'at most 254 classes; is this an intensity image rather than a label map?' });
  const lut = valueLookup({ name: 'nifti', classes: values.map((value, k) => ({ name: classes[k], value })) });
  const labels = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    const k = v >= 0 && v < lut.length ? lut[v] : -1;
    if (k < 0) {
      throw new MedprobeError(`label map ${labelFile} has value ${v}, which is not in the dataset card (values ${values.join(', ')})`, {
        file: labelFile,
        hint: 'add the class to the card, or check that this file is a label map',
      });
    }
    labels[i] = k;
  }
  return { id: opts.id ?? imageFile, image, labelMap, labels, classes, values, files };
}
