import type { ImageFolderReport } from '../folder/source.js';
import type { SplitAssignment } from '../splits/assignment.js';
import type { NiftiSegPair } from '../segmentation/nifti-pair.js';
import type { SegCase2D } from '../segmentation/types.js';
import type { SplitName } from '../types.js';
import type { RegistryLoadOptions } from './load.js';

/** One image (2D) or volume (3D) of a registry segmentation dataset, decoded on demand. */
export interface RegistrySegCase {
  /** The case name as the release spells it (`hippocampus_001`, `MCUCXR_0001_0`): unique, safe as a file name. */
  id: string;
  /** One volume or X-ray per patient in these releases; the split keeps patients apart. */
  patientId: string;
  /** Image first, then the label file(s) it is paired with. */
  files: string[];
  load(): Promise<SegCase2D | NiftiSegPair>;
}

/**
 * A registry segmentation dataset opened as released: class names (from the release's own
 * dataset.json where it has one), cases already in the study's splits, and how they were made.
 * Intensity rules are not applied here: `intensity` names the study's rule (CT window
 * [−1024, 600] HU, MRI 5–95th percentile), which the segmentation protocol applies per volume.
 */
export interface RegistrySegLoad {
  name: string;
  dims: 2 | 3;
  modality: 'X-ray' | 'CT' | 'MRI';
  /** Class names in class-index order; 0 is background. */
  classes: string[];
  /** Label-file value of each class (same order as `classes`). */
  values: number[];
  intensity?: 'ct' | 'mri';
  splits: Record<SplitName, RegistrySegCase[]>;
  report: ImageFolderReport;
  split: { method: Record<string, unknown>; assignment: SplitAssignment };
  /** Every file the cases read, for the content fingerprint. */
  files: string[];
}

export type RegistrySegLoader = (dir: string, opts: RegistryLoadOptions) => Promise<RegistrySegLoad>;

/** Cases grouped by the assignment (ids not assigned are dropped; the assignment came from these cases). */
export function casesBySplit(cases: readonly RegistrySegCase[], assignment: SplitAssignment): Record<SplitName, RegistrySegCase[]> {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const pick = (s: SplitName): RegistrySegCase[] => (assignment[s] ?? []).map((id) => byId.get(id)!);
  return { train: pick('train'), val: pick('val'), test: pick('test') };
}
