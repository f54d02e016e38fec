import { z } from 'zod';

/**
 * A preprocessing recipe: a named, declarative list of steps from raw pixels (uint8, HU, MRI
 * intensities) to the CHW float32 tensor a backbone takes. Recipes are data (YAML/JSON in a
 * suite file), validated here and hashed into the feature-cache key, so a cached feature always
 * says exactly how its pixels were made.
 */
const SizeRef = z.union([z.number().int().positive(), z.literal('model')]);

export const RecipeStepSchema = z.discriminatedUnion('op', [
  /** Clip to [min, max] (Hounsfield units for CT). */
  z.object({ op: z.literal('ct-window'), min: z.number(), max: z.number() }).strict(),
  /** Clip to the [low, high] percentiles, over the whole volume (default) or each slice. */
  z
    .object({
      op: z.literal('mri-percentile-clip'),
      low: z.number().min(0).max(100),
      high: z.number().min(0).max(100),
      scope: z.enum(['volume', 'slice']).default('volume'),
    })
    .strict(),
  /**
   * Map to [0, 1]. `bounds: 'clip'` uses the bounds of the preceding window/percentile clip (one
   * scale for every slice, as MONAI's ScaleIntensityRange); without a preceding clip, or with
   * `bounds: 'image'`, the image's own min and max are used.
   */
  z.object({ op: z.literal('min-max'), bounds: z.enum(['clip', 'image']).default('clip') }).strict(),
  z.object({ op: z.literal('gray-to-rgb') }).strict(),
  z
    .object({
      op: z.literal('resize'),
      size: SizeRef.default('model'),
      /** 'exact': size × size; 'shorter-side': the shorter side becomes size (torchvision Resize(int)). */
      mode: z.enum(['exact', 'shorter-side']).default('exact'),
      interpolation: z.enum(['model-card', 'bilinear', 'bicubic', 'nearest']).default('model-card'),
    })
    .strict(),
  z.object({ op: z.literal('center-crop'), size: SizeRef.default('model') }).strict(),
  /** Last step. 'model-card' takes rescale/mean/std from the model; 'explicit' states them. */
  z
    .object({
      op: z.literal('normalize'),
      source: z.enum(['model-card', 'explicit']).default('model-card'),
      rescale: z.number().positive().optional(),
      mean: z.tuple([z.number(), z.number(), z.number()]).optional(),
      std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).optional(),
    })
    .strict()
    .refine((s) => s.source === 'model-card' || (s.rescale !== undefined && s.mean !== undefined && s.std !== undefined), {
      message: "normalize with source 'explicit' needs rescale, mean and std",
    }),
]);

export const RecipeSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    steps: z.array(RecipeStepSchema).min(1),
  })
  .strict()
  .superRefine((r, ctx) => {
    const last = r.steps[r.steps.length - 1];
    if (last.op !== 'normalize') ctx.addIssue({ code: 'custom', path: ['steps'], message: "the last step must be 'normalize'" });
    if (r.steps.filter((s) => s.op === 'normalize').length > 1) ctx.addIssue({ code: 'custom', path: ['steps'], message: "only one 'normalize' step is allowed" });
    r.steps.forEach((s, i) => {
      if (s.op === 'mri-percentile-clip' && !(s.low < s.high)) ctx.addIssue({ code: 'custom', path: ['steps', i], message: `low (${s.low}) must be below high (${s.high})` });
      if (s.op === 'ct-window' && !(s.min < s.max)) ctx.addIssue({ code: 'custom', path: ['steps', i], message: `min (${s.min}) must be below max (${s.max})` });
    });
  });

export type RecipeStep = z.infer<typeof RecipeStepSchema>;
/** A recipe as written (defaults may be missing). */
export type RecipeInput = z.input<typeof RecipeSchema>;
/** A validated recipe with every default filled in. */
export type Recipe = z.output<typeof RecipeSchema>;
