/**
 * What a model wants its input pixels to look like, declared in the data layer so data never
 * imports models. Structurally a subset of `ModelInput` (src/models/card.ts): a parsed model card's
 * `input` can be passed wherever an `ImageInputSpec` is expected.
 */
export type Interpolation = 'bilinear' | 'bicubic' | 'nearest';

/** `value * rescale`, then `(x - mean[c]) / std[c]` per channel. */
export interface PixelNormalization {
  /** Multiplier for raw 8-bit values (1/255 maps [0,255] to [0,1]). */
  rescale: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export interface ImageInputSpec extends PixelNormalization {
  /** Square side length the model takes. */
  size: number;
  resample: Interpolation;
}

/** A height × width target. */
export interface Size2D {
  height: number;
  width: number;
}
