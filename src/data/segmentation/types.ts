import type { Image2D } from '../types.js';

/**
 * A 2D segmentation case: the image, its per-pixel class indices (0 = background;
 * IGNORE_CLASS = not scored) and an optional field-of-view mask (1 = inside).
 */
export interface SegCase2D {
  id: string;
  image: Image2D;
  /** Class index per pixel, row-major [height × width]. */
  mask: Uint8Array;
  fov?: Uint8Array;
  files: { image: string; mask: string; fov?: string };
}

export interface SegDataset2D {
  name: string;
  /** Class names in class-index order; 0 is background. */
  classes: string[];
  cases: SegCase2D[];
}
