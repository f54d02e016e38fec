import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DatasetSource, Image2D, Sample, SplitName, SplitSource, Volume3D, VolumeGrid } from '../types.js';
import { SPLIT_NAMES, labelWidth } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import { assertWithinMemoryBudget, formatBytes } from '../../util/memory-budget.js';
import { fileHash } from '../../util/file-hashes.js';
import { defaultCacheDir } from '../../util/paths.js';
import { terminalByteProgress } from '../../util/download.js';
import type { NpyArray } from '../../util/npy.js';
import { openNpz, requireNpzKeys, type NpyLayout, type NpyRows } from '../npz.js';
import { medmnistFileName, medmnistInfo, parseMedMNISTFileName, type MedMNISTInfo, type MedMNISTSize } from './registry.js';

/**
 * A MedMNIST npz as a `DatasetSource`. All six arrays are inflated once at open (images into
 * ≤ 1 GiB row-aligned buffers); samples are views into them (no per-sample copies), so `get(i)`
 * is free and images are never decoded twice. Memory ≈ the uncompressed size of the file.
 * With `lazyImages`, open reads the labels and only the npy headers of the image arrays; a
 * split's images are inflated at its first `get` (a run plan, which needs sizes and labels only,
 * then reads kilobytes of a GB file).
 */

export interface OpenMedMNISTOptions {
  /** Registry name, when the file name is not MedMNIST's own (`pneumoniamnist_64.npz`). */
  name?: string;
  /** Largest buffer an image array is held in (default 1 GiB); samples are views into these. */
  maxChunkBytes?: number;
  /** medprobe's cache root, where the file's content hash is cached (default `defaultCacheDir()`). */
  cacheDir?: string;
  /** Re-hash the file instead of trusting the cached hash. */
  verify?: boolean;
  /** Read the image arrays' headers now and their data at each split's first `get` (see above). */
  lazyImages?: boolean;
}

function resolveInfo(file: string, name?: string): MedMNISTInfo {
  if (name) return medmnistInfo(name);
  const parsed = parseMedMNISTFileName(path.basename(file));
  if (!parsed) {
    // Reuse the registry's error (it lists the valid names), but say which file we could not place.
    try {
      medmnistInfo(path.basename(file).replace(/(_\d+)?\.npz$/i, ''));
    } catch (e) {
      throw new MedprobeError(`cannot tell which MedMNIST dataset ${file} is from its name`, {
        file,
        hint: `pass the dataset name (--name / { name }); ${(e as MedprobeError).hint}`,
      });
    }
  }
  return medmnistInfo(parsed!.name);
}

function fail(file: string, what: string, hint = 'the file does not look like an official MedMNIST npz; download it again'): MedprobeError {
  return new MedprobeError(`${file}: ${what}`, { file, hint });
}

function intLabels(arr: NpyArray, file: string, key: string): Int32Array {
  const d = arr.data;
  if (d instanceof BigInt64Array) throw fail(file, `${key} holds values beyond int32`);
  if (d instanceof Float32Array || d instanceof Float64Array) {
    const out = new Int32Array(d.length);
    for (let i = 0; i < d.length; i++) {
      if (!Number.isInteger(d[i])) throw fail(file, `${key}[${i}] = ${d[i]} is not an integer class label`);
      out[i] = d[i];
    }
    return out;
  }
  return d instanceof Int32Array ? d : Int32Array.from(d);
}

function buildSplit(
  info: MedMNISTInfo,
  file: string,
  split: SplitName,
  images: NpyLayout,
  rows: () => Promise<NpyRows>,
  labelsArr: NpyArray,
): SplitSource {
  const imgKey = `${split}_images`;
  const labKey = `${split}_labels`;
  if (images.dtype !== 'uint8') throw fail(file, `${imgKey} has dtype ${images.dtype}, expected uint8`);
  const s = images.shape;
  const n = s[0] ?? 0;
  const labelN = labelsArr.shape[0] ?? 0;
  if (labelN !== n) {
    throw fail(file, `${split} split has ${n} images but ${labelN} labels`);
  }
  const width = labelWidth(info.task);
  const labelCols = labelsArr.shape.length === 1 ? 1 : labelsArr.shape.slice(1).reduce((a, b) => a * b, 1);
  if (labelCols !== width) {
    throw fail(file, `${labKey} has ${labelCols} column(s) per sample, ${info.name} (${info.task.type}) needs ${width}`);
  }
  const labels = intLabels(labelsArr, file, labKey);
  const max = info.task.type === 'multi-label' ? 1 : info.task.labels.length - 1;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v < 0 || v > max) {
      throw fail(file, `${labKey}: sample ${Math.floor(i / width)} has label ${v}, outside 0..${max} for ${info.name}`);
    }
  }

  let get: (i: number) => Promise<Image2D | Volume3D>;
  let grid: VolumeGrid | undefined;
  if (info.dims === 2) {
    const channels = s.length === 3 ? 1 : s.length === 4 ? s[3] : -1;
    if (channels !== info.channels) {
      throw fail(file, `${imgKey} has shape (${s.join(', ')}); ${info.name} images are ${info.channels === 1 ? '[N, H, W]' : '[N, H, W, 3]'}`);
    }
    const [, height, width2] = s;
    get = async (i) => ({ kind: '2d', width: width2, height, channels, data: (await rows()).row(i) });
  } else {
    if (s.length !== 4 && !(s.length === 5 && s[4] === 1)) {
      throw fail(file, `${imgKey} has shape (${s.join(', ')}); ${info.name} volumes are [N, D, H, W]`);
    }
    const [, depth, height, width3] = s;
    grid = { width: width3, height, depth };
    get = async (i) => ({ kind: '3d', depth, height, width: width3, data: (await rows()).row(i) });
  }

  const ids = Array.from({ length: n }, (_, i) => `${split}/${i}`);
  return {
    size: n,
    labels,
    ids,
    ...(grid ? { grid } : {}),
    async get(index: number): Promise<Sample> {
      if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`${info.name} ${split}: index ${index} outside 0..${n - 1}`);
      return { id: ids[index], image: await get(index), label: labels.subarray(index * width, (index + 1) * width) };
    },
  };
}

export interface MedMNISTSource extends DatasetSource {
  /** The registry entry this file was matched to. */
  readonly info: MedMNISTInfo;
  /** Image edge length found in the file (28, 64, 128 or 224). */
  readonly size: number;
}

const BIG_FILE = 256e6;

/** Open a MedMNIST npz (v2 or MedMNIST+ size) and validate it against the registry. */
export async function openMedMNIST(file: string, opts: OpenMedMNISTOptions = {}): Promise<MedMNISTSource> {
  const info = resolveInfo(file, opts.name);
  const npz = await openNpz(file);
  const keys = SPLIT_NAMES.flatMap((s) => [`${s}_images`, `${s}_labels`]);
  requireNpzKeys(npz, keys);
  // Big files (MedMNIST+ 128/224 px) take a while to inflate: show bytes/s on a terminal.
  const total = keys.reduce((sum, k) => sum + npz.sizeOf(k), 0);
  // Every split is held in memory at once: what the archive declares must fit before a byte is inflated.
  assertWithinMemoryBudget(file, total, `${keys.length} arrays of ${formatBytes(total)} uncompressed`);
  const eager = !opts.lazyImages;
  const bar = eager && total > BIG_FILE ? terminalByteProgress(`inflating ${path.basename(file)}`) : undefined;
  let done = 0;
  const onBytes = bar ? (n: number) => bar.onProgress((done += n), total) : undefined;
  // Images load as rows in ≤ maxChunkBytes buffers, so 224 px files bigger than one typed array open too.
  const readImages = (split: SplitName) => npz.readRows(`${split}_images`, { maxChunkBytes: opts.maxChunkBytes, onBytes });
  const readLabels = (split: SplitName) => npz.read(`${split}_labels`, { onBytes });
  /** Each split's images: inflated now, or a header now and the data once, at first use. */
  const openImages = async (split: SplitName): Promise<{ layout: NpyLayout; rows: () => Promise<NpyRows> }> => {
    if (eager) {
      const loaded = await readImages(split);
      return { layout: loaded, rows: async () => loaded };
    }
    const layout = await npz.header(`${split}_images`);
    let loading: Promise<NpyRows> | undefined;
    return { layout, rows: () => (loading ??= readImages(split)) };
  };
  let images: Awaited<ReturnType<typeof openImages>>[];
  let labels: NpyArray[];
  const hashing = fileHash(file, { cacheDir: opts.cacheDir ?? defaultCacheDir(), verify: opts.verify });
  try {
    [images, labels] = await Promise.all([Promise.all(SPLIT_NAMES.map(openImages)), Promise.all(SPLIT_NAMES.map(readLabels))]);
  } catch (e) {
    // Let the hash (and its cache write) finish first: nothing may still be writing once the error is out.
    await hashing.catch(() => undefined);
    throw e;
  } finally {
    bar?.stop();
  }
  const fingerprint = await hashing;
  const splits: Partial<Record<SplitName, SplitSource>> = {};
  SPLIT_NAMES.forEach((split, k) => {
    splits[split] = buildSplit(info, file, split, images[k].layout, images[k].rows, labels[k]);
  });
  const size = images[0].layout.shape[1];
  // A renamed file (`pneumoniamnist_64.npz` holding 28 px images) would silently mislabel results.
  const named = parseMedMNISTFileName(path.basename(file));
  if (named && named.name === info.name && named.size !== size) {
    throw fail(file, `file name says ${named.size} px but train_images are ${size} px`, `rename it to ${medmnistFileName(info.name, size as MedMNISTSize)} or pull the ${named.size} px file`);
  }
  return { name: info.name, task: info.task, dims: info.dims, fingerprint, files: [path.resolve(file)], splits, info, size };
}
