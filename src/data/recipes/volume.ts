import type { Image2D, Pixels, Volume3D } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import { compileRecipe, finishSlice, type RecipeRef } from './compile.js';
import type { ImageInputSpec } from '../transforms/index.js';

/** Slicing direction in voxel index space (data is z-major: data[z][y][x]); no reorientation is applied. */
export type SliceAxis = 'axial' | 'coronal' | 'sagittal';

export interface PreparedVolume {
  readonly axis: SliceAxis;
  /** Number of slices along `axis`. */
  readonly count: number;
  readonly hash: string;
  readonly floatsPerImage: number;
  /** Slice `i` after the per-volume steps (window, percentile clip, min-max), before resize. */
  slice(i: number): Image2D;
  /** Finish slice `i` (the per-slice steps) and write its CHW model input into `out` at `offset`. */
  writeSlice(i: number, out: Float32Array, offset?: number): void;
}

function extractSlice(v: Volume3D, axis: SliceAxis, i: number): Image2D {
  const { depth: D, height: H, width: W, data } = v;
  if (axis === 'axial') return { kind: '2d', width: W, height: H, channels: 1, data: data.subarray(i * H * W, (i + 1) * H * W) };
  // coronal (fixed y) and sagittal (fixed x): rows run along z, in index order
  const cols = axis === 'coronal' ? W : H;
  const out = new (data.constructor as new (n: number) => Pixels)(D * cols);
  for (let z = 0; z < D; z++) {
    const plane = z * H * W;
    if (axis === 'coronal') out.set(data.subarray(plane + i * W, plane + (i + 1) * W), z * cols);
    else for (let y = 0; y < H; y++) out[z * cols + y] = data[plane + y * W + i];
  }
  return { kind: '2d', width: cols, height: D, channels: 1, data: out };
}

/**
 * Apply a recipe to a volume the way the reference study does: intensity statistics (window,
 * 5–95th percentile, min-max) over the whole volume first, so every slice shares one scale; then
 * each slice is resized and normalised on demand. Steps after the first per-slice step
 * (e.g. a percentile clip with scope 'slice') run per slice.
 */
export function prepareVolume(volume: Volume3D, ref: RecipeRef, input: ImageInputSpec, axis: SliceAxis = 'axial'): PreparedVolume {
  if (volume.kind !== '3d') throw new MedprobeError('prepareVolume needs a 3D volume', { hint: 'use compileRecipe for 2D images' });
  const compiled = compileRecipe(ref, input);
  const { recipe, stages } = compiled;
  if (!recipe.steps.some((s) => s.op === 'min-max') && !(volume.data instanceof Uint8Array)) {
    throw new MedprobeError(`recipe '${recipe.name}' expects 8-bit pixels but the volume holds ${volume.data.constructor.name.replace('Array', '').toLowerCase()} data`, {
      hint: 'use ct-default or mri-default, or add a min-max step',
    });
  }
  let split = 0;
  while (split < stages.length && stages[split].kind === 'intensity' && (stages[split] as { perVolume: boolean }).perVolume) split++;
  const state: { bounds?: [number, number] } = {};
  let v: Volume3D = volume;
  for (const st of stages.slice(0, split)) if (st.kind === 'intensity') v = st.run(v, state) as Volume3D;
  const rest = stages.slice(split);
  const count = axis === 'axial' ? v.depth : axis === 'coronal' ? v.height : v.width;
  const check = (i: number): void => {
    if (!(Number.isInteger(i) && i >= 0 && i < count)) throw new RangeError(`slice ${i} is outside 0..${count - 1} along ${axis}`);
  };
  return {
    axis,
    count,
    hash: compiled.hash,
    floatsPerImage: compiled.floatsPerImage,
    slice(i) {
      check(i);
      return extractSlice(v, axis, i);
    },
    writeSlice(i, out, offset = 0) {
      check(i);
      finishSlice(recipe, rest, extractSlice(v, axis, i), { ...state }, compiled.normalization, compiled.size, out, offset);
    },
  };
}

/** All (or the chosen) slices of a volume as one [n × 3 × size × size] float32 batch. */
export function prepareVolumeSlices(
  volume: Volume3D,
  ref: RecipeRef,
  input: ImageInputSpec,
  axis: SliceAxis = 'axial',
  indices?: readonly number[],
): { data: Float32Array; count: number; indices: number[]; size: number } {
  const pv = prepareVolume(volume, ref, input, axis);
  const idx = indices ? [...indices] : Array.from({ length: pv.count }, (_, i) => i);
  const data = new Float32Array(idx.length * pv.floatsPerImage);
  idx.forEach((s, k) => pv.writeSlice(s, data, k * pv.floatsPerImage));
  return { data, count: idx.length, indices: idx, size: input.size };
}
