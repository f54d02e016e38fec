import type { RecipeInput } from './schema.js';

/**
 * The built-in recipes. The CT and MRI ones follow the reference study (DINOv2 on radiology
 * benchmarks): CT clipped to [−1024, 600] HU, MRI clipped to its 5th–95th percentile per volume,
 * both scaled to [0, 1] before the model's own normalisation.
 */
export const BUILTIN_RECIPES = {
  'medmnist-default': {
    name: 'medmnist-default',
    description: '8-bit images: grey→RGB, bilinear resize to the model size (torch align_corners=False), model rescale/mean/std',
    steps: [{ op: 'gray-to-rgb' }, { op: 'resize', size: 'model', mode: 'exact', interpolation: 'bilinear' }, { op: 'normalize', source: 'model-card' }],
  },
  'ct-default': {
    name: 'ct-default',
    description: 'CT: window [−1024, 600] HU → [0, 1] → grey→RGB → resize to the model size → model normalisation',
    steps: [
      { op: 'ct-window', min: -1024, max: 600 },
      { op: 'min-max', bounds: 'clip' },
      { op: 'gray-to-rgb' },
      { op: 'resize', size: 'model', mode: 'exact', interpolation: 'model-card' },
      { op: 'normalize', source: 'model-card' },
    ],
  },
  'mri-default': {
    name: 'mri-default',
    description: 'MRI: clip to the 5th–95th percentile of the volume → [0, 1] → grey→RGB → resize to the model size → model normalisation',
    steps: [
      { op: 'mri-percentile-clip', low: 5, high: 95, scope: 'volume' },
      { op: 'min-max', bounds: 'clip' },
      { op: 'gray-to-rgb' },
      { op: 'resize', size: 'model', mode: 'exact', interpolation: 'model-card' },
      { op: 'normalize', source: 'model-card' },
    ],
  },
} as const satisfies Record<string, RecipeInput>;

export type BuiltinRecipeName = keyof typeof BUILTIN_RECIPES;
export const BUILTIN_RECIPE_NAMES = Object.keys(BUILTIN_RECIPES) as BuiltinRecipeName[];
