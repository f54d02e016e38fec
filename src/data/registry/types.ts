import type { RegistryLoader } from './load.js';
import type { RegistrySegLoader } from './segmentation.js';

/**
 * The reference study's datasets (Baharoon et al., "Towards General Purpose Vision Foundation
 * Models for Medical Image Analysis: An Experimental Study of DINOv2 on Radiology Benchmarks",
 * arXiv:2312.02366; code github.com/MohammedSB/DINOv2ForRadiology). None can be downloaded
 * automatically (registration or agreements), so the registry says where to get each one, how the
 * folder must look afterwards, and `doctorDataset` checks a folder against that.
 */
export interface LayoutRequirement {
  /** Shown to the user, glob-like: `images/*.png`. */
  pattern: string;
  /** Folder (relative to the dataset root) to search. '' is the root. */
  dir: string;
  /** File name test (basename, or path relative to `dir` when `recursive`). */
  match: RegExp;
  recursive?: boolean;
  /** Fewest matching files for the layout to count as present. */
  min: number;
  /** How many the official release has, when known (a lower count is reported, not failed). */
  expected?: number;
  /** For CSV files: columns the header must have. */
  csvColumns?: string[];
  /** Optional files are reported but never fail the check. */
  optional?: boolean;
  what: string;
}

export interface RegistryDataset {
  name: string;
  title: string;
  modality: 'X-ray' | 'CT' | 'MRI';
  task: 'binary' | 'multi-class' | 'multi-label' | 'segmentation';
  dims: 2 | 3;
  /** Class names (classification) or label-map names in index order (segmentation). */
  labels: string[];
  /** What the official release contains. */
  contents: string;
  /** How the reference study used it (splits, label subset), from its code. */
  studyUse: string;
  download: string;
  /** The licence as stated by the provider; 'unknown' when we could not source it. */
  license: string;
  citation: string;
  layout: LayoutRequirement[];
  /** Opens a classification dataset as released into the study's splits; null for the segmentation sets. */
  loader: RegistryLoader | null;
  /** Opens a segmentation dataset as released into the study's splits (image + label cases). */
  segLoader?: RegistrySegLoader;
  /** The built-in preprocessing recipe the study's setup implies (8-bit images, or MRI percentile clipping). */
  recipe: 'medmnist-default' | 'ct-default' | 'mri-default';
  notes: string[];
}
