import path from 'node:path';
import { loadDrive } from '../data/segmentation/drive.js';
import { loadNiftiPair, type NiftiSegPair } from '../data/segmentation/nifti-pair.js';
import type { SegCase2D } from '../data/segmentation/types.js';
import { markClassesSeen, refuseUnseenClasses, type SegSplitName } from '../protocols/segmentation/cases.js';
import { MedprobeError } from '../util/errors.js';
import { hashObject } from '../util/hash.js';
import { fileHashes } from '../util/file-hashes.js';
import type { SegmentationEntry } from './dataset-entries.js';
import { openRegistrySegDataset } from './registry-seg.js';

/**
 * One image (2D) or volume (3D) of a segmentation split, loaded on demand (only while its split
 * is extracted or scored, so a dataset of many volumes never sits in memory at once).
 */
export interface SegItem {
  /** Unique within the dataset; names the prediction file and the per-case scores. */
  id: string;
  /** The files it is read from (absolute). */
  files: string[];
  /** 2D: `SegCase2D` (image, class-index mask, optional FOV); 3D: `NiftiSegPair` from `loadNiftiPair` (same grid, values mapped to classes). */
  load(): Promise<SegCase2D | NiftiSegPair>;
}

/**
 * A segmentation dataset as the seg-* protocols read it: classes, and train/val/test as whole
 * images or volumes (never slices: a volume's slices stay in one split and it is scored in 3D).
 *
 * This is the interface a dataset loader implements to run inside suites (seg-linear, seg-unet,
 * seg-fewshot): `openSegDataset` dispatches on the entry's `format` and returns one. Contract:
 * - `splits.train` and `splits.test` are non-empty; `val` may be empty (then only a single lr);
 *   no id is both in train and in val/test (refuse with a MedprobeError naming it);
 * - `load()` refuses NaN/Inf voxels and a label map on another grid with one MedprobeError line
 *   (see `finiteVolume` and `loadNiftiPair`);
 * - `files` and `fingerprint` cover every image and label file, relative to `root`, so moving
 *   the data does not invalidate the feature cache but changing a byte does.
 */
export interface SegSource {
  name: string;
  dims: 2 | 3;
  /** Class names in class-index order; 0 is background. */
  classes: string[];
  modality?: string;
  /** 3D: intensity rule and slice axis. */
  intensity?: 'ct' | 'mri';
  axis: 'x' | 'y' | 'z';
  /** Absolute folder the file names below are relative to. */
  root: string;
  fingerprint: string;
  /** Every data file → sha256 (relative to `root`, so the fingerprint does not depend on where the data lives). */
  files: Record<string, string>;
  splits: Record<SegSplitName, SegItem[]>;
}

export function finiteVolume(pair: NiftiSegPair): NiftiSegPair {
  const d = pair.image.data;
  let bad = 0;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) bad++;
  if (bad > 0) {
    throw new MedprobeError(`${pair.files.image}: ${bad} of ${d.length} voxels are NaN or ±Inf`, {
      file: pair.files.image,
      hint: 'fix the volume (or mask those voxels to a finite value) before segmenting: a decoder would train to NaN losses',
    });
  }
  return pair;
}

/**
 * Reads every case of every split once, one at a time, before anything is extracted: `load()`
 * refuses NaN/Inf voxels and a label map on another grid, and a class that no training case
 * contains is refused here too, so bad input stops a run in one line before its extraction
 * rather than after the splits before it were embedded.
 */
export async function checkSegSource(seg: SegSource): Promise<void> {
  const seen = new Uint8Array(seg.classes.length);
  for (const split of ['train', 'val', 'test'] as const) {
    for (const item of seg.splits[split]) {
      const c = await item.load();
      if (split === 'train') markClassesSeen(c, seen);
    }
  }
  refuseUnseenClasses(seen, seg.classes, `${seg.name}/train`, seg.dims);
}

/** Systematic validation pick: every k-th item (k = ⌊n / count⌋), so val spreads over the list. */
function systematicVal<T>(items: T[], count: number, what: string): { train: T[]; val: T[] } {
  if (count >= items.length) throw new MedprobeError(`${what}: val ${count} leaves no training image (${items.length} in all)`, { hint: 'lower `val`' });
  const k = Math.floor(items.length / count);
  const val = items.filter((_, i) => (i + 1) % k === 0).slice(0, count);
  return { train: items.filter((x) => !val.includes(x)), val };
}

export async function fingerprintOf(root: string, files: string[], cacheDir: string): Promise<{ fingerprint: string; files: Record<string, string> }> {
  const digests = await fileHashes(files, { cacheDir, label: 'hashing segmentation files' });
  const rel = Object.fromEntries([...digests].map(([f, h]) => [path.relative(root, f).split(path.sep).join('/'), h]).sort());
  return { fingerprint: hashObject(rel), files: rel };
}

/** Open a suite's segmentation entry (paths relative to the suite file's folder). */
export async function openSegDataset(entry: SegmentationEntry, ctx: { baseDir: string; cacheDir: string; resultsDir?: string }): Promise<SegSource> {
  if (entry.format === 'registry') return openRegistrySegDataset(entry, ctx);
  const root = path.resolve(ctx.baseDir, entry.root);
  if (entry.format === 'drive') {
    const [training, test] = [await loadDrive(root, 'training'), await loadDrive(root, 'test')];
    const { train, val } = systematicVal(training.cases, entry.val, `${entry.name}/training`);
    const item = (c: SegCase2D): SegItem => ({ id: c.id, files: Object.values(c.files).filter((f): f is string => !!f), load: async () => c });
    const all = [...training.cases, ...test.cases];
    const fp = await fingerprintOf(root, all.flatMap((c) => Object.values(c.files).filter((f): f is string => !!f)), ctx.cacheDir);
    return {
      name: entry.name,
      root,
      dims: 2,
      classes: training.classes,
      modality: entry.modality ?? 'fundus',
      axis: entry.axis,
      ...fp,
      splits: { train: train.map(item), val: val.map(item), test: test.cases.map(item) },
    };
  }
  const classes = entry.classes!;
  const card = { name: entry.name, classes: classes.map((name, value) => ({ name, value })) };
  const modality = entry.modality!.toUpperCase() === 'CT' ? 'CT' : 'MRI';
  const splits: Record<SegSplitName, SegItem[]> = { train: [], val: [], test: [] };
  const files: string[] = [];
  const seen = new Map<string, string>();
  for (const p of entry.pairs!) {
    const image = path.resolve(root, p.image);
    const labels = path.resolve(root, p.labels);
    const id = p.id ?? path.basename(image).replace(/\.nii(\.gz)?$/i, '');
    const before = seen.get(id);
    // The same volume in train and in val/test would score the decoder on what it trained on.
    if (before && (before === 'train') !== (p.split === 'train')) {
      throw new MedprobeError(`${entry.name}: volume ${id} is listed in ${before} and in ${p.split}`, { hint: 'a training volume must not be in val or test' });
    }
    seen.set(id, p.split);
    files.push(image, labels);
    splits[p.split].push({ id, files: [image, labels], load: async () => finiteVolume(await loadNiftiPair(image, labels, { card, id, cropToLabels: entry.cropToLabels })) });
  }
  for (const s of ['train', 'test'] as const) if (splits[s].length === 0) throw new MedprobeError(`${entry.name}: no ${s} volume listed`, { hint: 'give each pair a split: train, val or test' });
  const fp = await fingerprintOf(root, files, ctx.cacheDir);
  // Cropped images are other model inputs: their features must not share cache entries with uncropped ones.
  const fingerprint = entry.cropToLabels ? hashObject({ files: fp.fingerprint, cropToLabels: true }) : fp.fingerprint;
  return { name: entry.name, root, dims: 3, classes, modality, intensity: modality === 'CT' ? 'ct' : 'mri', axis: entry.axis, files: fp.files, fingerprint, splits };
}
