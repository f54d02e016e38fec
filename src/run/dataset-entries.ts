import { z } from 'zod';
import { LabelSpecSchema } from '../data/folder/config.js';
import { REGISTRY } from '../data/registry/datasets.js';

/**
 * Dataset entries of a suite, one schema per source, told apart by `source`. Every entry
 * shares how its images become model input (`recipe`) and, for volumes, how slices are cut
 * and pooled.
 */
const common = {
  /** Named built-in recipe (medmnist-default, ct-default, mri-default) or an inline one; default medmnist-default (volumes: by modality). */
  recipe: z.union([z.string(), z.record(z.string(), z.unknown())]).default('medmnist-default'),
  /** 3D only: slice plane (axial fixes the first array axis of a MedMNIST volume) or a raw voxel axis. */
  sliceAxis: z.union([z.enum(['axial', 'coronal', 'sagittal']), z.literal(0), z.literal(1), z.literal(2)]).default('axial'),
  /**
   * 3D only: how slice embeddings become a volume embedding — the mean (the reference study) or
   * max over every slice along `sliceAxis`, or '2.5d': the three orthogonal central slices, concatenated.
   */
  sliceAggregation: z.enum(['mean', 'max', '2.5d']).default('mean'),
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

/**
 * How samples are assigned to train/val/test for folder and volume sources.
 * - official: the manifest's split column;
 * - systematic: the reference study's deterministic patient sampling. `val`/`test` are patient
 *   counts, or with `every: k`, patients per k (every: 10, val: 1, test: 2 → 10 % / 20 % of patients);
 * - random: seeded split by patient with image fractions;
 * - file: a medprobe.splits/v1 file (verified against its sha256 and the dataset's ids).
 */
export const SplitPolicySchema = z.union([
  z.literal('official'),
  z.object({ systematic: z.object({ every: z.number().int().positive().optional(), val: z.number().int().nonnegative(), test: z.number().int().nonnegative() }).strict() }).strict(),
  z.object({ random: z.object({ seed: z.number().int().nonnegative().default(0), train: z.number().nonnegative(), val: z.number().nonnegative(), test: z.number().nonnegative() }).strict() }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);

/** Manifest fields shared by image folders and volume lists (paths relative to the suite file). */
const manifest = {
  /** Dataset name in results (default: the root folder's name). */
  name: z.string().min(1).optional(),
  /** Folder the manifest's paths are relative to. */
  root: z.string().min(1),
  /** Manifest CSV, relative to root (or absolute). */
  csv: z.string().min(1),
  delimiter: z.string().length(1).default(','),
  patientColumn: z.string().min(1).optional(),
  /** Regex with one capture group applied to the path when there is no patient column. */
  patientPattern: z.string().min(1).optional(),
  splitColumn: z.string().min(1).optional(),
  labels: LabelSpecSchema,
  /** 'stop': the first bad row or file is an error. 'skip': it is dropped and listed in the load report. */
  onError: z.enum(['stop', 'skip']).default('stop'),
  splits: SplitPolicySchema.default('official'),
  /** Leaderboard modality ('X-ray', 'CT', 'MRI', …). */
  modality: z.string().min(1).optional(),
};

export const FolderEntrySchema = z
  .object({
    source: z.literal('folder'),
    ...manifest,
    imageColumn: z.string().min(1),
    /** 'exists': header check at open; 'decode': decode every image at open. */
    verify: z.enum(['exists', 'decode']).default('exists'),
    ...common,
  })
  .strict();

export const VolumesEntrySchema = z
  .object({
    source: z.literal('volumes'),
    ...manifest,
    /** Column with a .nii/.nii.gz file or a folder holding one DICOM series. */
    pathColumn: z.string().min(1).default('path'),
    ...common,
    /** Unset: ct-default for modality CT, mri-default for MRI (required otherwise). */
    recipe: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  })
  .strict();

export const RegistryEntrySchema = z
  .object({
    source: z.literal('registry'),
    /** A registry dataset (medprobe data doctor lists them), e.g. nih-chestxray14. */
    name: z.string().min(1),
    /** The folder the dataset was downloaded and extracted to. */
    dir: z.string().min(1),
    /** 'stop': files the index names but the folder lacks stop the run. 'skip': run on what is present; the load report lists the rest. */
    onError: z.enum(['stop', 'skip']).default('stop'),
    /** CheXpert only: how uncertain (−1) findings are read; the study maps them to 0. */
    uncertain: z.enum(['zero', 'one', 'ignore-label', 'ignore-sample']).optional(),
    ...common,
    /** Unset: the dataset's own (medmnist-default for 8-bit X-ray/CT PNGs, mri-default for Brain Tumor). */
    recipe: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  })
  .strict();

/**
 * A segmentation dataset (the seg-* protocols): train/val/test over whole images or volumes.
 * - drive: the DRIVE layout (training/, test/ with images, 1st_manual, mask); `val` training
 *   images (every k-th, systematic) select the learning rate;
 * - pairs: NIfTI image + label map pairs listed with their split (MSD, AMOS, … by hand until a
 *   registry loader exists); `classes` names the label values 0..K−1 in order.
 */
export const SegmentationEntrySchema = z
  .object({
    source: z.literal('segmentation'),
    name: z.string().min(1),
    /** registry: a registry segmentation dataset as released (written as `source: registry` with name + dir; see docs/datasets.md). */
    format: z.enum(['drive', 'pairs', 'registry']),
    /** Folder the dataset (drive) or the pairs' paths are relative to. */
    root: z.string().min(1),
    /** drive: training images held out for validation (systematic: every k-th). */
    val: z.number().int().positive().default(4),
    pairs: z.array(z.object({ id: z.string().min(1).optional(), image: z.string().min(1), labels: z.string().min(1), split: z.enum(['train', 'val', 'test']) }).strict()).optional(),
    classes: z.array(z.string().min(1)).min(2).optional(),
    /** pairs: accept label maps covering a whole-voxel sub-block of the image grid (the image is cropped to it, no interpolation). */
    cropToLabels: z.boolean().default(false),
    /** 'fundus', 'CT', 'MRI', … (CT/MRI also pick the intensity rule of 3D volumes). */
    modality: z.string().min(1).optional(),
    /** 3D: voxel axis the volumes are cut across (z: axial for RAS data). */
    axis: z.enum(['x', 'y', 'z']).default('z'),
    /** registry: files the release's index names but the folder lacks stop the run ('stop') or are skipped and reported ('skip'). */
    onError: z.enum(['stop', 'skip']).default('stop'),
    ...common,
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.format === 'registry' && !REGISTRY.some((d) => d.name === e.name && d.segLoader)) ctx.addIssue({ code: 'custom', path: ['name'], message: `a registry segmentation dataset is one of ${REGISTRY.filter((d) => d.segLoader).map((d) => d.name).join(', ')}` });
    if (e.format === 'pairs' && !(e.pairs?.length && e.classes)) ctx.addIssue({ code: 'custom', path: ['pairs'], message: 'a pairs entry lists `pairs` (image, labels, split) and `classes` (names of label values 0..K−1)' });
    if (e.format === 'pairs' && !['CT', 'MRI'].includes((e.modality ?? '').toUpperCase().replace(/^MR$/, 'MRI'))) ctx.addIssue({ code: 'custom', path: ['modality'], message: 'a pairs entry needs `modality: CT` or `MRI` (it picks the intensity rule: CT window [−1024, 600] HU, MRI 5–95th percentile)' });
  });

/** The recipe a volumes entry gets when it names none: the reference study's CT / MRI preprocessing. */
export function defaultVolumeRecipe(modality: string | undefined): string | undefined {
  const m = modality?.toUpperCase();
  if (m === 'CT') return 'ct-default';
  if (m === 'MRI' || m === 'MR') return 'mri-default';
  return undefined;
}

export const DatasetEntrySchema = z
  .discriminatedUnion('source', [MedmnistEntrySchema, FolderEntrySchema, VolumesEntrySchema, RegistryEntrySchema, SegmentationEntrySchema])
  .superRefine((e, ctx) => {
    if (e.source === 'registry' && e.uncertain !== undefined && e.name !== 'chexpert') ctx.addIssue({ code: 'custom', path: ['uncertain'], message: 'only chexpert has uncertain labels' });
    if (e.source === 'volumes' && e.recipe === undefined && !defaultVolumeRecipe(e.modality)) {
      ctx.addIssue({ code: 'custom', path: ['recipe'], message: "a volumes entry needs `modality: CT` or `MRI` (which pick ct-default / mri-default) or an explicit `recipe`" });
    }
  })
  .transform((e) => {
    if (e.source === 'volumes') return { ...e, recipe: e.recipe ?? defaultVolumeRecipe(e.modality)! };
    if (e.source === 'registry' && REGISTRY.find((d) => d.name === e.name)?.segLoader) {
      // A segmentation dataset of the registry runs through the seg-* protocols like any segmentation entry.
      const { dir, uncertain: _, source: __, recipe: ___, ...rest } = e;
      return { ...rest, source: 'segmentation' as const, format: 'registry' as const, root: dir, val: 4, axis: 'z' as const, cropToLabels: false, recipe: 'medmnist-default' } satisfies SegmentationEntry;
    }
    if (e.source === 'registry') return { ...e, recipe: e.recipe ?? REGISTRY.find((d) => d.name === e.name)?.recipe ?? 'medmnist-default' };
    return e;
  });

export type FolderEntry = z.output<typeof FolderEntrySchema>;
export type VolumesEntry = z.output<typeof VolumesEntrySchema>;
export type RegistryEntry = z.output<typeof RegistryEntrySchema>;
export type MedmnistEntry = z.output<typeof MedmnistEntrySchema>;
export type SegmentationEntry = z.output<typeof SegmentationEntrySchema>;
export type SplitPolicy = z.output<typeof SplitPolicySchema>;
