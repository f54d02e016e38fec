import { MedprobeError } from '../../util/errors.js';
import { valueLookup, type SegCard } from './card.js';
import { readNifti, type NiftiVolume } from './nifti-io.js';

export interface NiftiSegPair {
  id: string;
  image: NiftiVolume;
  labelFile: NiftiVolume;
  /** Class index per voxel, [z][y][x] like the image. */
  labels: Uint8Array;
  /** Class names in index order (0 background). */
  classes: string[];
  /** Label-file value of each class. */
  values: number[];
  files: { image: string; labels: string };
}

/** Same voxel grid: equal dims and affines equal to 1e-3 of a voxel. */
export function checkSameGrid(a: NiftiVolume, b: NiftiVolume, files: { image: string; labels: string }): void {
  const va = a.volume;
  const vb = b.volume;
  const dimsA = [va.width, va.height, va.depth];
  const dimsB = [vb.width, vb.height, vb.depth];
  const sameDims = dimsA.every((d, i) => d === dimsB[i]);
  const tol = 1e-3 * Math.max(...(va.spacing ?? [1, 1, 1]).map(Math.abs));
  const sameAffine = (va.affine ?? []).every((v, i) => Math.abs(v - (vb.affine ?? [])[i]) <= tol);
  if (!sameDims || !sameAffine) {
    throw new MedprobeError(
      `label map ${files.labels} is on another grid than image ${files.image}: ${dimsB.join('×')} vs ${dimsA.join('×')} voxels${sameDims ? ', affines differ' : ''}`,
      { file: files.labels, hint: 'resample the label map onto the image grid (nearest neighbour), e.g. with nibabel or ANTs, before training' },
    );
  }
}

/**
 * When the label map covers an exact sub-block of the image grid (same voxel axes and spacing,
 * origin shifted by whole voxels — e.g. PD25's subcortical labels inside the full template),
 * cut that block out of the image: no interpolation, so image and labels stay voxel-exact.
 * Returns null when the grids are not related that way.
 */
export function cropToLabelGrid(image: NiftiVolume, labels: NiftiVolume): NiftiVolume | null {
  const a = image.volume.affine;
  const b = labels.volume.affine;
  if (!a || !b) return null;
  for (const i of [0, 1, 2, 4, 5, 6, 8, 9, 10]) if (Math.abs(a[i] - b[i]) > 1e-4) return null;
  const m = [a[0], a[1], a[2], a[4], a[5], a[6], a[8], a[9], a[10]];
  const det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  if (Math.abs(det) < 1e-12) return null;
  const d = [b[3] - a[3], b[7] - a[7], b[11] - a[11]];
  // Cramer's rule: voxel offset o with M·o = d.
  const solve = (col: number): number => {
    const mm = m.slice();
    for (let r = 0; r < 3; r++) mm[r * 3 + col] = d[r];
    return (mm[0] * (mm[4] * mm[8] - mm[5] * mm[7]) - mm[1] * (mm[3] * mm[8] - mm[5] * mm[6]) + mm[2] * (mm[3] * mm[7] - mm[4] * mm[6])) / det;
  };
  const o = [solve(0), solve(1), solve(2)];
  if (o.some((v) => Math.abs(v - Math.round(v)) > 1e-3)) return null;
  const [ox, oy, oz] = o.map(Math.round);
  const src = image.volume;
  const { width: nx, height: ny, depth: nz } = labels.volume;
  if (ox < 0 || oy < 0 || oz < 0 || ox + nx > src.width || oy + ny > src.height || oz + nz > src.depth) return null;
  const data = new Float32Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[(z * ny + y) * nx + x] = src.data[((z + oz) * src.height + y + oy) * src.width + x + ox];
  return { ...labels, volume: { ...labels.volume, data }, datatype: 16 };
}

/**
 * A NIfTI image + label map. Without a card the classes are the label values present
 * (0 = background, then the others ascending); with one, every value must be in the card.
 * `cropToLabels`: accept a label map on a whole-voxel sub-block of the image grid (see cropToLabelGrid).
 */
export async function loadNiftiPair(imageFile: string, labelFile: string, opts: { card?: SegCard; id?: string; cropToLabels?: boolean } = {}): Promise<NiftiSegPair> {
  const files = { image: imageFile, labels: labelFile };
  let image = await readNifti(imageFile);
  const lab = await readNifti(labelFile);
  if (opts.cropToLabels) image = cropToLabelGrid(image, lab) ?? image;
  checkSameGrid(image, lab, files);
  const raw = lab.volume.data;
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
    const k = Number.isInteger(v) && v >= 0 && v < lut.length ? lut[v] : -1;
    if (k < 0) {
      throw new MedprobeError(`label map ${labelFile} has value ${v}, which is not in the dataset card (values ${values.join(', ')})`, {
        file: labelFile,
        hint: 'add the class to the card, or check that this file is a label map',
      });
    }
    labels[i] = k;
  }
  return { id: opts.id ?? imageFile, image, labelFile: lab, labels, classes, values, files };
}
