import type { Image2D, Volume3D } from '../types.js';
// Slicing (plane names, display orientation) is the NIfTI module's, so image slices stay aligned
// with label-map slices cut by the same call.
import { sliceCount, sliceVolume, type SliceAxis } from '../nifti/slice.js';
import { MedprobeError } from '../../util/errors.js';
import { compileRecipe, finishSlice, type RecipeRef } from './compile.js';
import type { ImageInputSpec } from '../transforms/index.js';

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
  const last = recipe.steps[recipe.steps.length - 1];
  const cardScaled = last.op === 'normalize' && last.source === 'model-card';
  if (cardScaled && !recipe.steps.some((s) => s.op === 'min-max') && !(volume.data instanceof Uint8Array)) {
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
  const count = sliceCount(v, axis);
  return {
    axis,
    count,
    hash: compiled.hash,
    floatsPerImage: compiled.floatsPerImage,
    slice(i) {
      return sliceVolume(v, axis, i);
    },
    writeSlice(i, out, offset = 0) {
      finishSlice(recipe, rest, sliceVolume(v, axis, i), { ...state }, compiled.normalization, compiled.size, out, offset);
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
