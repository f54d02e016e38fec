/**
 * The typed sample stream every data source produces and every later layer consumes.
 * MedMNIST npz, image folders, DICOM and NIfTI all end up as `DatasetSource`.
 */

export type SplitName = 'train' | 'val' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

export type TaskType = 'binary' | 'multi-class' | 'multi-label' | 'ordinal';

export interface TaskInfo {
  type: TaskType;
  /** Class names (binary, multi-class, ordinal) or label names (multi-label), in label-index order. */
  labels: string[];
}

/** Number of integers stored per sample: 1 class index, or one 0/1 per label for multi-label. */
export function labelWidth(task: TaskInfo): number {
  return task.type === 'multi-label' ? task.labels.length : 1;
}

export type Pixels = Uint8Array | Uint16Array | Int16Array | Float32Array;

/** A 2D image, channels interleaved (HWC). Values are in the source's native units (uint8, HU, …). */
export interface Image2D {
  kind: '2d';
  width: number;
  height: number;
  channels: number;
  data: Pixels;
}

/**
 * A single-channel volume stored slice-major: data[z][y][x] with z along `depth`.
 * `spacing` is in mm along (x, y, z); `affine` (row-major 4x4, voxel index → world mm)
 * is present for NIfTI/DICOM sources so outputs can be written back on the same grid.
 */
export interface Volume3D {
  kind: '3d';
  depth: number;
  height: number;
  width: number;
  data: Pixels;
  spacing?: [number, number, number];
  affine?: number[];
}

export type SampleImage = Image2D | Volume3D;

export interface Sample {
  /** Stable within the dataset (file path, npz index); used in per-sample predictions. */
  id: string;
  image: SampleImage;
  /** `labelWidth(task)` integers. */
  label: Int32Array;
  patientId?: string;
}

export interface SplitSource {
  readonly size: number;
  /** All labels of the split, row-major [size × labelWidth], readable without decoding images. */
  readonly labels: Int32Array;
  readonly ids: readonly string[];
  readonly patientIds?: readonly string[];
  /** Set when every sample is a volume on one grid (MedMNIST 3D): its size, known without decoding a volume. */
  readonly grid?: VolumeGrid;
  get(index: number): Promise<Sample>;
}

export type VolumeGrid = Pick<Volume3D, 'width' | 'height' | 'depth'>;

export interface DatasetSource {
  /** Registry name (`pneumoniamnist`) or a user-given name. */
  readonly name: string;
  readonly task: TaskInfo;
  readonly dims: 2 | 3;
  /** Imaging modality as the leaderboard filters it ('X-ray', 'CT', 'MRI', 'Ultrasound', …), when known. */
  readonly modality?: string;
  /** Content hash of the files backing this dataset; part of every feature-cache key. */
  readonly fingerprint: string;
  /** Where the data came from, for provenance (file paths, URLs). */
  readonly files: readonly string[];
  readonly splits: Partial<Record<SplitName, SplitSource>>;
}

export function requireSplit(ds: DatasetSource, split: SplitName): SplitSource {
  const s = ds.splits[split];
  if (!s) throw new Error(`dataset ${ds.name} has no ${split} split`);
  return s;
}
