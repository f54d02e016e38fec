import type { DatasetSource } from '../data/types.js';
import { describeRecipe, recipeHash, type RecipeInput, type RecipeRef } from '../data/recipes/index.js';
import type { SliceAxis } from '../data/nifti/slice.js';
import type { Backbone } from '../models/backbone.js';
import type { PrepareSpec } from '../features/prepare.js';

export interface Preparer {
  spec: PrepareSpec;
  /** The exact preprocessing as applied to this model, recorded in every result. */
  preprocessing: Record<string, unknown>;
  preprocessingHash: string;
}

export const DEFAULT_RECIPE = 'medmnist-default';

/**
 * The 8-bit default, shaped by the model card: a card from an HF preprocessor_config that
 * resizes the shorter side then center-crops (DINOv2: 256 → 224) gets exactly that, scaled
 * with the requested input size; other cards resize straight to the input size.
 */
function cardDefaultRecipe(backbone: Backbone): RecipeRef {
  const { resizeShortestEdge, size } = backbone.card.input;
  if (!resizeShortestEdge) return DEFAULT_RECIPE;
  const edge = Math.round((resizeShortestEdge * backbone.inputSize) / size);
  const recipe: RecipeInput = {
    name: 'model-card-default',
    description: `8-bit images: grey→RGB, shorter side to ${edge} (model-card resample), center-crop ${backbone.inputSize}, model rescale/mean/std`,
    steps: [
      { op: 'gray-to-rgb' },
      { op: 'resize', size: edge, mode: 'shorter-side', interpolation: 'model-card' },
      { op: 'center-crop', size: 'model' },
      { op: 'normalize', source: 'model-card' },
    ],
  };
  return recipe;
}

/** The preprocessing of one dataset for one backbone: a named or inline recipe, resolved against the model card. */
export function preparerFor(backbone: Backbone, dataset: DatasetSource, recipe?: RecipeRef, axis: SliceAxis | '2.5d' = 'axial'): Preparer {
  const ref = recipe === undefined || recipe === DEFAULT_RECIPE ? cardDefaultRecipe(backbone) : recipe;
  const input = { ...backbone.card.input, size: backbone.inputSize };
  const preprocessing = { ...describeRecipe(ref, input), ...(dataset.dims === 3 ? { sliceAxis: axis, volumeEmbedding: axis === '2.5d' ? 'three orthogonal central slices, concatenated' : 'slice embeddings pooled per volume' } : {}) };
  return { spec: { recipe: ref, input, axis }, preprocessing, preprocessingHash: recipeHash(ref, input) };
}
