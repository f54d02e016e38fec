import type { Image2D, Volume3D } from '../../data/types.js';
import { minMax, percentileClip, window } from '../../data/transforms/intensity.js';
import { resize } from '../../data/transforms/resize.js';

/** Voxel axis the volume is cut across: x (sagittal for RAS data), y (coronal), z (axial). */
export type SegSliceAxis = 'x' | 'y' | 'z';

/** Slice plane size [height, width] and count for an axis of a [z][y][x] volume. */
export function sliceGeometry(v: Pick<Volume3D, 'width' | 'height' | 'depth'>, axis: SegSliceAxis): { count: number; height: number; width: number } {
  if (axis === 'z') return { count: v.depth, height: v.height, width: v.width };
  if (axis === 'y') return { count: v.height, height: v.depth, width: v.width };
  return { count: v.width, height: v.depth, width: v.height };
}

function voxelIndex(v: Pick<Volume3D, 'width' | 'height'>, axis: SegSliceAxis, s: number, r: number, c: number): number {
  const { width: nx, height: ny } = v;
  if (axis === 'z') return (s * ny + r) * nx + c;
  if (axis === 'y') return (r * ny + s) * nx + c;
  return (r * ny + c) * nx + s;
}

/** Copies slice `s` of any [z][y][x] array into a row-major plane. */
export function getSlice<T extends ArrayLike<number> & { length: number }>(v: Pick<Volume3D, 'width' | 'height' | 'depth'>, data: T, axis: SegSliceAxis, s: number, out: Float32Array | Uint8Array): void {
  const g = sliceGeometry(v, axis);
  for (let r = 0; r < g.height; r++) for (let c = 0; c < g.width; c++) out[r * g.width + c] = data[voxelIndex(v, axis, s, r, c)];
}

/** Writes a plane back as slice `s`: the inverse of getSlice. */
export function putSlice(v: Pick<Volume3D, 'width' | 'height' | 'depth'>, data: Uint8Array, axis: SegSliceAxis, s: number, plane: ArrayLike<number>): void {
  const g = sliceGeometry(v, axis);
  for (let r = 0; r < g.height; r++) for (let c = 0; c < g.width; c++) data[voxelIndex(v, axis, s, r, c)] = plane[r * g.width + c];
}

/** The reference study's intensity rules: CT clipped to an HU window, MRI to volume percentiles. */
export type VolumeIntensity = { mode: 'window'; min: number; max: number } | { mode: 'percentile'; low: number; high: number };

export const CT_WINDOW: VolumeIntensity = { mode: 'window', min: -1024, max: 600 };
export const MRI_PERCENTILES: VolumeIntensity = { mode: 'percentile', low: 5, high: 95 };

/** Volume mapped to [0, 255] float by the rule (statistics over the whole volume, one scale for every slice). */
export function volumeTo255(vol: Volume3D, rule: VolumeIntensity): Float32Array {
  let clipped: Volume3D;
  let bounds: [number, number];
  if (rule.mode === 'window') {
    clipped = window(vol, rule.min, rule.max);
    bounds = [rule.min, rule.max];
  } else {
    const r = percentileClip(vol, rule.low, rule.high);
    clipped = r.image;
    bounds = r.bounds;
  }
  const unit = minMax(clipped, bounds).data as Float32Array;
  for (let i = 0; i < unit.length; i++) unit[i] *= 255;
  return unit;
}

/** One slice as a gray image resized (bilinear, PyTorch-exact) to the backbone's square input. */
export function sliceImage(vol: Volume3D, scaled: Float32Array, axis: SegSliceAxis, s: number, size: number): { native: Image2D; input: Image2D } {
  const g = sliceGeometry(vol, axis);
  const plane = new Float32Array(g.height * g.width);
  getSlice(vol, scaled, axis, s, plane);
  const native: Image2D = { kind: '2d', width: g.width, height: g.height, channels: 1, data: plane };
  return { native, input: g.width === size && g.height === size ? native : resize(native, { width: size, height: size }, 'bilinear') };
}
