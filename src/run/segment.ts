import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readNifti } from '../data/nifti/read.js';
import { systematicIndices } from '../data/splits/systematic.js';
import { MedprobeError } from '../util/errors.js';
import { parseSuite, type LoadedSuite } from './suite.js';

/**
 * `medprobe segment drive|nifti`: shortcuts that build a one-model, one-dataset segmentation
 * suite in memory and run it through the same plan and units as `medprobe run` (features
 * cached once, lr grid chosen on val, results reused and resumable). Nothing here trains or
 * scores: every number comes from the seg-* protocols of the registry.
 */

export type SegDecoderKind = 'linear' | 'unet';

/** What both shortcuts set; unset fields take the protocol's defaults (the reference study's). */
export interface SegmentShortcutOptions {
  /** Model card (YAML/JSON) of an ONNX backbone. */
  model: string;
  decoders: SegDecoderKind[];
  resultsDir: string;
  /** Feature cache; default as `medprobe run` ($MEDPROBE_CACHE or ~/.cache/medprobe). */
  cacheDir?: string;
  /** Dataset name in results. */
  name?: string;
  seed?: number;
  epochs?: number;
  /** Learning rates: several are chosen among on val; one is used as is. */
  lr?: number[];
  batchSize?: number;
  loss?: 'dice' | 'dice+ce';
  maps?: string[];
  /** U-Net block widths, one per map. */
  widths?: number[];
  /** false: no flips/rotations. */
  augment?: boolean;
  log?: (line: string) => void;
}

export interface SegmentDriveOptions extends SegmentShortcutOptions {
  /** DRIVE root with training/ and test/ as distributed. */
  data: string;
  /** Training images held out (every k-th) to choose the learning rate. */
  val?: number;
}

export interface SegmentNiftiOptions extends SegmentShortcutOptions {
  /** Image volumes: files, or one folder (MSD's imagesTr/). */
  images: string[];
  /** Label maps: files in the same order, or one folder whose files have the images' names (labelsTr/). */
  labels: string[];
  modality: 'CT' | 'MRI';
  axis?: 'x' | 'y' | 'z';
  /** Names of label values 0..K−1; default background, label 1, … up to the largest value found. */
  classes?: string[];
  /** Volumes for validation / test, picked systematically by id (default ⌈n/5⌉ each; val 0 with one lr). */
  val?: number;
  test?: number;
  cropToLabels?: boolean;
}

function protocolsFor(o: SegmentShortcutOptions): Record<string, Record<string, unknown>> {
  const common = {
    ...(o.lr ? { lr: o.lr } : {}),
    ...(o.epochs ? { epochs: o.epochs } : {}),
    ...(o.batchSize ? { batchSize: o.batchSize } : {}),
    ...(o.loss ? { loss: o.loss } : {}),
    ...(o.maps?.length ? { maps: o.maps } : {}),
    ...(o.augment === false ? { augment: false } : {}),
  };
  return Object.fromEntries(o.decoders.map((k) => [`seg-${k}`, { ...common, ...(k === 'unet' && o.widths ? { widths: o.widths } : {}) }]));
}

function shortcutSuite(o: SegmentShortcutOptions, name: string, dataset: Record<string, unknown>): LoadedSuite {
  const raw = {
    name,
    seed: o.seed ?? 0,
    resultsDir: path.resolve(o.resultsDir),
    ...(o.cacheDir ? { cacheDir: path.resolve(o.cacheDir) } : {}),
    models: [{ card: path.resolve(o.model) }],
    datasets: [dataset],
    protocols: protocolsFor(o),
  };
  // Paths are absolute, so the suite does not depend on a folder of its own.
  return { suite: parseSuite(raw, `medprobe ${name.replace('-', ' ')}`), file: path.resolve(o.resultsDir, `${name}.yaml`), baseDir: process.cwd() };
}

/** The suite `segment drive` runs: DRIVE's training/ (less `val` images) and test/. */
export function segmentDriveSuite(o: SegmentDriveOptions): LoadedSuite {
  return shortcutSuite(o, 'segment-drive', { source: 'segmentation', name: o.name ?? 'drive', format: 'drive', root: path.resolve(o.data), ...(o.val ? { val: o.val } : {}) });
}

const NIFTI = /\.nii(\.gz)?$/i;
const stem = (f: string) => path.basename(f).replace(NIFTI, '');

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch (e) {
    throw new MedprobeError(`not found: ${p}`, { file: p, hint: `${(e as NodeJS.ErrnoException).code ?? ''} — give an existing NIfTI file or folder`.trim() });
  }
}

async function niftiFiles(dir: string): Promise<string[]> {
  // macOS copies leave '._name.nii.gz' resource forks beside the volumes: never NIfTI.
  return (await fs.readdir(dir)).filter((f) => NIFTI.test(f) && !f.startsWith('._')).sort().map((f) => path.join(dir, f));
}

/** Image/label pairs from two folders (same file names) or two equally long file lists (same order). */
async function pairUp(images: string[], labels: string[]): Promise<{ id: string; image: string; labels: string }[]> {
  const dirs = images.length === 1 && labels.length === 1 && (await isDir(images[0])) && (await isDir(labels[0]));
  if (dirs) {
    const [imgs, labs] = [await niftiFiles(path.resolve(images[0])), await niftiFiles(path.resolve(labels[0]))];
    const byName = new Map(labs.map((f) => [path.basename(f), f]));
    const missing = imgs.filter((f) => !byName.has(path.basename(f)));
    if (missing.length) throw new MedprobeError(`${missing.length} image(s) in ${images[0]} have no label map of the same name in ${labels[0]} (first: ${path.basename(missing[0])})`, { file: missing[0], hint: 'give label maps named as their images (MSD: imagesTr/x.nii.gz ↔ labelsTr/x.nii.gz)' });
    return imgs.map((f) => ({ id: stem(f), image: f, labels: byName.get(path.basename(f))! }));
  }
  if (images.length !== labels.length) throw new MedprobeError(`${images.length} --image and ${labels.length} --labels given`, { hint: 'give one --labels per --image, in the same order (or one folder each)' });
  for (const f of [...images, ...labels]) if (await isDir(f)) throw new MedprobeError(`${f} is a folder, and the other side is a list of files`, { file: f, hint: 'give one folder for --image and one for --labels, or files for both' });
  const pairs = images.map((f, i) => ({ id: stem(f), image: path.resolve(f), labels: path.resolve(labels[i]) }));
  const seen = new Set<string>();
  for (const p of pairs) {
    if (seen.has(p.id)) throw new MedprobeError(`two images are named ${p.id}`, { file: p.image, hint: 'volume ids come from the image file names: rename one' });
    seen.add(p.id);
  }
  return pairs;
}

function commonFolder(files: string[]): string {
  let dir = path.dirname(files[0]);
  while (dir !== path.dirname(dir) && !files.every((f) => f.startsWith(dir + path.sep))) dir = path.dirname(dir);
  return dir;
}

/** Class names of the label values found in the label maps: background, label 1, … (values must be 0..K−1). */
async function classesFromLabels(files: string[]): Promise<string[]> {
  const seen = new Set<number>();
  for (const f of files) {
    const v = await readNifti(f);
    for (let i = 0; i < v.data.length; i++) seen.add(v.data[i]);
  }
  const values = [...seen].sort((x, y) => x - y);
  if (values.length < 2 || values.some((v, k) => v !== k)) {
    throw new MedprobeError(`the label maps hold values ${values.slice(0, 8).join(', ')}${values.length > 8 ? ', …' : ''}: segment nifti needs classes numbered 0..K−1 with some foreground`, {
      file: files[0],
      hint: 'relabel the maps to 0..K−1 (0 background), or list the classes in a suite (docs/segmentation.md)',
    });
  }
  return ['background', ...values.slice(1).map((v) => `label ${v}`)];
}

/**
 * The suite `segment nifti` runs: whole volumes in train, val and test, never slices of one
 * volume on both sides (slices of a volume are correlated, so an even/odd slice split scores
 * the decoder on what it trained on). Val and test volumes are picked systematically by id.
 */
export async function segmentNiftiSuite(o: SegmentNiftiOptions): Promise<LoadedSuite> {
  const pairs = (await pairUp(o.images, o.labels)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const grid = (o.lr?.length ?? 4) > 1;
  const n = pairs.length;
  const test = o.test ?? Math.max(1, Math.ceil(n / 5));
  const val = o.val ?? (grid ? Math.max(1, Math.ceil(n / 5)) : 0);
  if (grid && val === 0) throw new MedprobeError('--val 0 leaves no volume to choose the learning rate on', { hint: 'give --val ≥ 1, or one --lr' });
  if (n < test + val + 1) {
    throw new MedprobeError(`segment nifti needs whole volumes for train, ${grid ? 'val and ' : ''}test: ${n} image/label pair(s) cannot give ${test} test${grid ? ` + ${val} val` : ''} + 1 training volume(s) (slices of one volume are never split between training and scoring)`, {
      hint: `give at least ${test + val + 1} pairs (repeat --image/--labels, or pass the imagesTr/ and labelsTr/ folders)${grid ? ', or one --lr to need no val volume' : ''}`,
    });
  }
  const testAt = new Set(systematicIndices(n, test));
  const rest = pairs.map((_, i) => i).filter((i) => !testAt.has(i));
  const valAt = new Set(systematicIndices(rest.length, val).map((j) => rest[j]));
  const split = (i: number) => (testAt.has(i) ? 'test' : valAt.has(i) ? 'val' : 'train');
  const classes = o.classes ?? (await classesFromLabels(pairs.map((p) => p.labels)));
  // Files are named relative to the folder holding them all, so the data fingerprint (and the feature cache) does not depend on where the data or the shell is.
  const root = commonFolder(pairs.flatMap((p) => [p.image, p.labels]));
  const dataset = {
    source: 'segmentation',
    name: o.name ?? 'nifti',
    format: 'pairs',
    root,
    modality: o.modality,
    axis: o.axis ?? 'z',
    classes,
    ...(o.cropToLabels ? { cropToLabels: true } : {}),
    pairs: pairs.map((p, i) => ({ id: p.id, image: path.relative(root, p.image), labels: path.relative(root, p.labels), split: split(i) })),
  };
  return shortcutSuite(o, 'segment-nifti', dataset);
}

