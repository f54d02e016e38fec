import { MedprobeError } from '../util/errors.js';
import { concatCols, type Matrix } from '../util/matrix.js';

/**
 * 3D classification from a 2D backbone: embed every slice, then pool the slice embeddings
 * of a volume into one vector (the reference study uses the mean). Protocols then treat the
 * pooled vectors like any 2D features.
 */
export type SliceAggregation = 'mean' | 'max';

export interface AggregateSlicesOptions {
  /** 1 = use the slice, 0 = padding/empty slice to skip (e.g. from `paddingSliceMask`). */
  keep?: Uint8Array;
  /** Number of volumes; defaults to max(volumeIndex) + 1. */
  volumes?: number;
  /** Volume ids, for error messages. */
  volumeIds?: readonly string[];
}

/**
 * Pools slice features [slices × D] into volume features [volumes × D]: row v is the mean (or
 * element-wise max) of the kept slices with volumeIndex = v. Sums are accumulated in float64.
 * A volume left without slices is an error, not a zero vector that would pose as data.
 */
export function aggregateSlices(sliceFeatures: Matrix, volumeIndex: ArrayLike<number>, mode: SliceAggregation = 'mean', opts: AggregateSlicesOptions = {}): Matrix {
  const { rows, cols: D, data } = sliceFeatures;
  if (volumeIndex.length !== rows) throw new RangeError(`volumeIndex has ${volumeIndex.length} entries for ${rows} slices`);
  if (opts.keep && opts.keep.length !== rows) throw new RangeError(`keep mask has ${opts.keep.length} entries for ${rows} slices`);
  if (mode !== 'mean' && mode !== 'max') throw new MedprobeError(`unknown slice aggregation '${mode as string}'`, { hint: "use 'mean' or 'max'" });
  let V = opts.volumes ?? 0;
  if (opts.volumes === undefined) for (let i = 0; i < rows; i++) V = Math.max(V, volumeIndex[i] + 1);
  const acc = new Float64Array(V * D).fill(mode === 'max' ? -Infinity : 0);
  const count = new Int32Array(V);
  for (let i = 0; i < rows; i++) {
    const v = volumeIndex[i];
    if (!Number.isInteger(v) || v < 0 || v >= V) throw new RangeError(`slice ${i} belongs to volume ${v}, outside 0..${V - 1}`);
    if (opts.keep && !opts.keep[i]) continue;
    count[v]++;
    const src = i * D;
    const dst = v * D;
    if (mode === 'mean') for (let j = 0; j < D; j++) acc[dst + j] += data[src + j];
    else for (let j = 0; j < D; j++) if (data[src + j] > acc[dst + j]) acc[dst + j] = data[src + j];
  }
  const empty: number[] = [];
  for (let v = 0; v < V; v++) if (count[v] === 0) empty.push(v);
  if (empty.length > 0) {
    const names = empty.slice(0, 5).map((v) => opts.volumeIds?.[v] ?? `#${v}`).join(', ');
    throw new MedprobeError(`${empty.length} volume(s) have no ${opts.keep ? 'non-padding ' : ''}slices to aggregate: ${names}${empty.length > 5 ? ', …' : ''}`, {
      hint: opts.keep ? 'the padding threshold removes every slice of these volumes; lower it' : 'every volume needs at least one embedded slice',
    });
  }
  const out = new Float32Array(V * D);
  for (let v = 0; v < V; v++) for (let j = 0; j < D; j++) out[v * D + j] = mode === 'mean' ? acc[v * D + j] / count[v] : acc[v * D + j];
  return { rows: V, cols: D, data: out };
}

/**
 * Padding-slice rule: keep a slice when its mean intensity (computed by the caller on the
 * preprocessed slice, e.g. after CT windowing) is at least `threshold`. Volumes padded to a
 * fixed depth carry empty slices that would otherwise dilute the mean embedding.
 */
export function paddingSliceMask(sliceMeanIntensity: ArrayLike<number>, threshold: number): Uint8Array {
  const keep = new Uint8Array(sliceMeanIntensity.length);
  for (let i = 0; i < keep.length; i++) keep[i] = sliceMeanIntensity[i] >= threshold ? 1 : 0;
  return keep;
}

/** Index of the central slice along each axis of a [depth × height × width] volume (2.5D input). */
export function centralSliceIndices(depth: number, height: number, width: number): { axial: number; coronal: number; sagittal: number } {
  return { axial: Math.floor(depth / 2), coronal: Math.floor(height / 2), sagittal: Math.floor(width / 2) };
}

/**
 * 2.5D features: embeddings of the three orthogonal central slices of each volume, concatenated
 * as [axial | coronal | sagittal] → [volumes × 3D].
 */
export function orthogonalViewFeatures(views: { axial: Matrix; coronal: Matrix; sagittal: Matrix }): Matrix {
  const { axial, coronal, sagittal } = views;
  if (axial.rows !== coronal.rows || axial.rows !== sagittal.rows) {
    throw new RangeError(`2.5D views disagree on the number of volumes: axial ${axial.rows}, coronal ${coronal.rows}, sagittal ${sagittal.rows}`);
  }
  return concatCols(axial, coronal, sagittal);
}
