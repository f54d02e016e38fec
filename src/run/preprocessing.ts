import type { DatasetSource, Image2D } from '../data/types.js';
import { resize } from '../data/transforms/resize.js';
import { normalizeToChw } from '../data/transforms/normalize.js';
import type { Backbone } from '../models/backbone.js';
import type { PrepareImage } from '../features/extract.js';
import { hashObject } from '../util/hash.js';

export interface Preparer {
  prepare: PrepareImage;
  /** The exact preprocessing, recorded in every result. */
  preprocessing: Record<string, unknown>;
  preprocessingHash: string;
}

/** 8-bit MedMNIST images: resize to the model's input size, rescale and normalise per the card. */
export function preparerFor(backbone: Backbone, _dataset: DatasetSource): Preparer {
  const input = backbone.card.input;
  const S = backbone.inputSize;
  const preprocessing = {
    recipe: 'medmnist-default',
    steps: [
      { op: 'resize', size: S, mode: 'exact', interpolation: input.resample },
      { op: 'gray-to-rgb' },
      { op: 'normalize', rescale: input.rescale, mean: input.mean, std: input.std },
    ],
  };
  const prepare: PrepareImage = (img: Image2D, out, offset) => {
    const sized = img.width === S && img.height === S ? img : resize(img, { height: S, width: S }, input.resample);
    normalizeToChw(sized, input, out, offset);
  };
  return { prepare, preprocessing, preprocessingHash: hashObject(preprocessing) };
}
