import { z } from 'zod';

/**
 * Dataset entries of a suite, one schema per source, told apart by `source`. Every entry
 * shares how its images become model input (`recipe`) and, for volumes, how slices are cut
 * and pooled.
 */
const common = {
  /** Named built-in recipe (medmnist-default, ct-default, mri-default) or an inline one; default medmnist-default. */
  recipe: z.union([z.string(), z.record(z.string(), z.unknown())]).default('medmnist-default'),
  /** 3D only: slice plane (axial fixes the first array axis of a MedMNIST volume) or a raw voxel axis. */
  sliceAxis: z.union([z.enum(['axial', 'coronal', 'sagittal']), z.literal(0), z.literal(1), z.literal(2)]).default('axial'),
  /** 3D only: how slice embeddings become a volume embedding (the reference study: mean). */
  sliceAggregation: z.enum(['mean', 'max']).default('mean'),
};

export const MedmnistEntrySchema = z
  .object({
    source: z.literal('medmnist'),
    /** Registry name, e.g. pneumoniamnist. */
    name: z.string(),
    /** Local npz; when absent the file is looked up in (or pulled into) the cache. */
    file: z.string().optional(),
    size: z.union([z.literal(28), z.literal(64), z.literal(128), z.literal(224)]).default(28),
    /** Pull the file from MedMNIST's official URL when it is not in the cache. */
    pull: z.boolean().default(false),
    ...common,
  })
  .strict();

export const DatasetEntrySchema = z.discriminatedUnion('source', [MedmnistEntrySchema]);
