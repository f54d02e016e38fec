import type { Image2D, Pixels, Sample, Volume3D, VolumeGrid } from '../types.js';

/** Slice planes of a RAS+ canonical volume, or raw voxel axes 0/1/2 (0 = x fixed, 2 = z fixed). */
export type SliceAxis = 'axial' | 'coronal' | 'sagittal' | 0 | 1 | 2;

/** The voxel axis held fixed: axial fixes z (2), coronal y (1), sagittal x (0). */
export function fixedAxis(axis: SliceAxis): 0 | 1 | 2 {
  if (axis === 'axial') return 2;
  if (axis === 'coronal') return 1;
  if (axis === 'sagittal') return 0;
  return axis;
}

export function sliceCount(volume: VolumeGrid, axis: SliceAxis): number {
  return [volume.width, volume.height, volume.depth][fixedAxis(axis)];
}

/**
 * One slice as a single-channel Image2D (same pixel type as the volume). Display convention for
 * RAS+ volumes: columns follow the lower remaining voxel axis in increasing order (so an axial
 * image has the patient's right on the image right, "neurological"), rows follow the higher
 * remaining axis *reversed* so anterior (axial) or superior (coronal, sagittal) is at the top.
 * Images and label maps on the same grid sliced with the same call stay aligned pixel for pixel.
 */
export function sliceVolume(volume: Volume3D, axis: SliceAxis, index: number): Image2D {
  const fixed = fixedAxis(axis);
  const shape = [volume.width, volume.height, volume.depth];
  if (!Number.isInteger(index) || index < 0 || index >= shape[fixed]) {
    throw new RangeError(`slice ${index} out of range 0..${shape[fixed] - 1} along axis ${fixed}`);
  }
  const [colAxis, rowAxis] = [0, 1, 2].filter((a) => a !== fixed);
  const stride = [1, volume.width, volume.width * volume.height];
  const w = shape[colAxis];
  const h = shape[rowAxis];
  const out = new (volume.data.constructor as new (n: number) => Pixels)(w * h);
  const base = index * stride[fixed];
  for (let r = 0; r < h; r++) {
    const src = base + (h - 1 - r) * stride[rowAxis];
    const sc = stride[colAxis];
    if (sc === 1) out.set(volume.data.subarray(src, src + w), r * w);
    else for (let c = 0; c < w; c++) out[r * w + c] = volume.data[src + c * sc];
  }
  return { kind: '2d', width: w, height: h, channels: 1, data: out };
}

export interface VolumeToSamplesOptions {
  /** Sample id prefix (e.g. the file path); each sample is `${id}#${axis}${index}`. */
  id: string;
  label: Int32Array;
  axis?: SliceAxis;
  patientId?: string;
  /** Keep only some slices (e.g. those a label map marks); default all. */
  keep?: (index: number) => boolean;
}

/** Every slice along `axis` (axial default) as a Sample sharing the volume's label. */
export function volumeToSamples(volume: Volume3D, opts: VolumeToSamplesOptions): Sample[] {
  const axis = opts.axis ?? 'axial';
  const n = sliceCount(volume, axis);
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    if (opts.keep && !opts.keep(i)) continue;
    out.push({ id: `${opts.id}#${typeof axis === 'number' ? `axis${axis}:` : axis}${i}`, image: sliceVolume(volume, axis, i), label: opts.label, patientId: opts.patientId });
  }
  return out;
}
