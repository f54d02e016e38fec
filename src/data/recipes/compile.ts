import type { Image2D, SampleImage } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import { hashObject } from '../../util/hash.js';
import { centerCrop, grayToRgb, minMax, normalizeToChw, percentileClip, resize, resizeBilinearToChw, resizeShorterSide, window } from '../transforms/index.js';
import type { ImageInputSpec, Interpolation, PixelNormalization } from '../transforms/index.js';
import type { Intensity } from '../transforms/index.js';
import { BUILTIN_RECIPES, BUILTIN_RECIPE_NAMES } from './builtin.js';
import { RecipeSchema, type Recipe, type RecipeInput, type RecipeStep } from './schema.js';

/** A built-in recipe name or a recipe object (from a suite file). */
export type RecipeRef = string | RecipeInput;

/** Validate a recipe (or look up a built-in by name) and fill in defaults. */
export function resolveRecipe(ref: RecipeRef, source = 'recipe'): Recipe {
  if (typeof ref === 'string') {
    const builtin = (BUILTIN_RECIPES as Record<string, RecipeInput>)[ref];
    if (!builtin) throw new MedprobeError(`unknown preprocessing recipe '${ref}'`, { hint: `use one of ${BUILTIN_RECIPE_NAMES.join(', ')} or write the steps out` });
    return RecipeSchema.parse(builtin);
  }
  const r = RecipeSchema.safeParse(ref);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new MedprobeError(`invalid preprocessing recipe in ${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      hint: 'see docs/datasets.md#preprocessing-recipes for the steps',
    });
  }
  return r.data;
}

/** Only the fields of a model input that change pixels: renaming a graph input must not invalidate caches. */
function pixelSpec(input: ImageInputSpec): ImageInputSpec {
  return { size: input.size, resample: input.resample, rescale: input.rescale, mean: [...input.mean] as [number, number, number], std: [...input.std] as [number, number, number] };
}

/**
 * Stable hash of (recipe steps, model pixel spec) for the feature-cache key. The recipe's name and
 * description are left out: renaming a recipe does not change a single pixel.
 */
export function recipeHash(ref: RecipeRef, input: ImageInputSpec): string {
  const recipe = resolveRecipe(ref);
  return hashObject({ steps: recipe.steps, input: pixelSpec(input) });
}

/** Whether the recipe scales intensities to [0, 1] before normalising (else it expects 8-bit input). */
function scalesToUnit(recipe: Recipe): boolean {
  return recipe.steps.some((s) => s.op === 'min-max');
}

/**
 * The normalisation actually applied. A model card's `rescale` is defined on raw 8-bit values;
 * after a min-max step pixels are in [0, 1], so they are treated as 8-bit values / 255
 * (rescale × 255) and the card's mean/std apply unchanged.
 */
function effectiveNormalization(recipe: Recipe, input: ImageInputSpec): PixelNormalization {
  const step = recipe.steps[recipe.steps.length - 1] as Extract<RecipeStep, { op: 'normalize' }>;
  if (step.source === 'explicit') return { rescale: step.rescale!, mean: step.mean!, std: step.std! };
  return { rescale: scalesToUnit(recipe) ? input.rescale * 255 : input.rescale, mean: input.mean, std: input.std };
}

/** The exact recipe as applied to one model, for `dataset.preprocessing` in result files. */
export function describeRecipe(ref: RecipeRef, input: ImageInputSpec): Record<string, unknown> {
  const recipe = resolveRecipe(ref);
  const norm = effectiveNormalization(recipe, input);
  const steps = recipe.steps.map((s) => {
    if (s.op === 'resize') return { ...s, size: s.size === 'model' ? input.size : s.size, interpolation: s.interpolation === 'model-card' ? input.resample : s.interpolation };
    if (s.op === 'center-crop') return { ...s, size: s.size === 'model' ? input.size : s.size };
    if (s.op === 'normalize') return { op: 'normalize', source: s.source, rescale: norm.rescale, mean: [...norm.mean], std: [...norm.std] };
    return s;
  });
  return { name: recipe.name, ...(recipe.description ? { description: recipe.description } : {}), steps, hash: recipeHash(recipe, input) };
}

/** Carried between steps: the bounds of the last clip, for a following min-max. */
interface StepState {
  bounds?: [number, number];
}

/** One step made executable. Intensity steps also run on whole volumes; geometric ones only on 2D. */
export type Stage =
  | { kind: 'intensity'; op: string; perVolume: boolean; run(img: Intensity, state: StepState): Intensity }
  | { kind: 'geometry'; op: string; run(img: Image2D): Image2D };

function stageFor(step: RecipeStep, input: ImageInputSpec): Stage | null {
  const interp = (i: 'model-card' | Interpolation): Interpolation => (i === 'model-card' ? input.resample : i);
  const size = (s: number | 'model'): number => (s === 'model' ? input.size : s);
  switch (step.op) {
    case 'ct-window':
      return {
        kind: 'intensity',
        op: step.op,
        perVolume: true,
        run: (img, st) => {
          st.bounds = [step.min, step.max];
          return window(img, step.min, step.max);
        },
      };
    case 'mri-percentile-clip':
      return {
        kind: 'intensity',
        op: step.op,
        perVolume: step.scope === 'volume',
        run: (img, st) => {
          const r = percentileClip(img, step.low, step.high);
          st.bounds = r.bounds;
          return r.image;
        },
      };
    case 'min-max':
      return { kind: 'intensity', op: step.op, perVolume: true, run: (img, st) => minMax(img, step.bounds === 'clip' ? st.bounds : undefined) };
    case 'gray-to-rgb':
      // Grey stays 1-channel until normalizeToChw broadcasts it: identical output, 3× less resize work.
      return { kind: 'geometry', op: step.op, run: (img) => (img.channels === 1 ? img : grayToRgb(img)) };
    case 'resize': {
      const s = size(step.size);
      const mode = interp(step.interpolation);
      return {
        kind: 'geometry',
        op: step.op,
        run: step.mode === 'exact' ? (img) => resize(img, { height: s, width: s }, mode) : (img) => resizeShorterSide(img, s, mode),
      };
    }
    case 'center-crop': {
      const s = size(step.size);
      return { kind: 'geometry', op: step.op, run: (img) => centerCrop(img, { height: s, width: s }) };
    }
    case 'normalize':
      return null;
  }
}

function dtypeName(img: SampleImage): string {
  return img.data.constructor.name.replace('Array', '').toLowerCase();
}

/** Writes one image's model input (CHW float32, 3·size² floats) into `out` at `offset`. */
export interface CompiledRecipe {
  (image: Image2D, out: Float32Array, offset?: number): void;
  readonly recipe: Recipe;
  readonly hash: string;
  /** Output side length (the model's input size). */
  readonly size: number;
  readonly floatsPerImage: number;
  readonly stages: readonly Stage[];
  readonly normalization: PixelNormalization;
}

/**
 * Turn a recipe into a function from a decoded 2D image to model input written in place.
 * Volumes go through `prepareVolume` (per-volume statistics first, then slices).
 */
export function compileRecipe(ref: RecipeRef, input: ImageInputSpec): CompiledRecipe {
  const recipe = resolveRecipe(ref);
  const stages = recipe.steps.map((s) => stageFor(s, input)).filter((s): s is Stage => s !== null);
  const norm = effectiveNormalization(recipe, input);
  const needs8bit = !scalesToUnit(recipe) && recipe.steps[recipe.steps.length - 1].op === 'normalize' && (recipe.steps[recipe.steps.length - 1] as { source: string }).source === 'model-card';
  const size = input.size;
  const floatsPerImage = 3 * size * size;
  // (grey→RGB) → exact bilinear resize to the model size → normalise: one fused kernel.
  const geometric = recipe.steps.filter((s) => s.op !== 'gray-to-rgb' && s.op !== 'normalize');
  const fused =
    geometric.length === 1 &&
    geometric[0].op === 'resize' &&
    geometric[0].mode === 'exact' &&
    (geometric[0].size === 'model' || geometric[0].size === size) &&
    (geometric[0].interpolation === 'model-card' ? input.resample : geometric[0].interpolation) === 'bilinear';
  const apply = (image: Image2D, out: Float32Array, offset = 0): void => {
    if ((image as SampleImage).kind === '3d') {
      throw new MedprobeError(`recipe '${recipe.name}' got a 3D volume where a 2D image was expected`, { hint: 'use prepareVolume/prepareVolumeSlices for volumes' });
    }
    if (needs8bit && !(image.data instanceof Uint8Array)) {
      throw new MedprobeError(`recipe '${recipe.name}' expects 8-bit pixels but got ${dtypeName(image)} data`, {
        hint: "add {op: 'min-max'} (or a window/percentile clip then min-max) before resizing, or use ct-default/mri-default",
      });
    }
    if (fused && resizeBilinearToChw(image, size, norm, out, offset)) return;
    finishSlice(recipe, stages, image, {}, norm, size, out, offset);
  };
  return Object.assign(apply, { recipe, hash: recipeHash(recipe, input), size, floatsPerImage, stages, normalization: norm });
}

/** Run `stages` on a 2D image and normalise into the buffer; checks the final size. */
export function finishSlice(
  recipe: Recipe,
  stages: readonly Stage[],
  image: Image2D,
  state: StepState,
  norm: PixelNormalization,
  size: number,
  out: Float32Array,
  offset: number,
): void {
  let img = image;
  for (const st of stages) img = st.kind === 'intensity' ? (st.run(img, state) as Image2D) : st.run(img);
  if (img.width !== size || img.height !== size) {
    throw new MedprobeError(`recipe '${recipe.name}' produced ${img.width}x${img.height} images but the model takes ${size}x${size}`, {
      hint: "end the recipe with {op: 'resize', mode: 'exact'} or {op: 'center-crop'} at the model size",
    });
  }
  normalizeToChw(img, norm, out, offset);
}

