import type { SampleImage } from '../data/types.js';
import { compileRecipe, prepareVolume, type RecipeRef } from '../data/recipes/index.js';
import type { SliceAxis } from '../data/nifti/slice.js';
import type { ImageInputSpec } from '../data/transforms/index.js';

/**
 * Everything needed to turn decoded sample images into model input, as plain data: it is
 * sent to the preprocessing worker thread, which compiles it once.
 */
export interface PrepareSpec {
  recipe: RecipeRef;
  input: ImageInputSpec;
  /**
   * 3D samples are embedded slice by slice along this axis; '2.5d' embeds only the three
   * orthogonal central slices (axial, coronal, sagittal), in that order.
   */
  axis: SliceAxis | '2.5d';
}

/** Model inputs for a list of sample images: CHW float32 back to back, and how many each image gave (1, or its slices). */
const ORTHOGONAL: readonly SliceAxis[] = ['axial', 'coronal', 'sagittal'];

export interface PreparedImages {
  data: Float32Array;
  counts: number[];
}

/** `reuse`: a buffer to write into when it is large enough (saves allocating and zeroing one per batch). */
export type PrepareImages = (images: readonly SampleImage[], reuse?: Float32Array) => PreparedImages;

/** Compile a spec into a function; 3D volumes get per-volume intensity statistics, then every slice. */
export function createPreparer(spec: PrepareSpec): PrepareImages {
  const compiled = compileRecipe(spec.recipe, spec.input);
  const per = compiled.floatsPerImage;
  return (images, reuse) => {
    const planes = spec.axis === '2.5d' ? ORTHOGONAL : [spec.axis];
    // Per volume, the slices to embed: every slice along the axis, or the central one of each plane.
    const volumes = images.map((img) =>
      img.kind === '3d'
        ? planes.flatMap((ax) => {
            const pv = prepareVolume(img, spec.recipe, spec.input, ax);
            return spec.axis === '2.5d' ? [{ pv, index: Math.floor(pv.count / 2) }] : Array.from({ length: pv.count }, (_, index) => ({ pv, index }));
          })
        : null,
    );
    const counts = volumes.map((v) => (v ? v.length : 1));
    const floats = counts.reduce((a, b) => a + b, 0) * per;
    const data = reuse && reuse.length >= floats ? reuse.subarray(0, floats) : new Float32Array(floats);
    let k = 0;
    images.forEach((img, i) => {
      const v = volumes[i];
      if (v) for (const { pv, index } of v) pv.writeSlice(index, data, k++ * per);
      else compiled(img as Extract<SampleImage, { kind: '2d' }>, data, k++ * per);
    });
    return { data, counts };
  };
}
