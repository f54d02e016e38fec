import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { hashObject } from '../util/hash.js';
import { readNpy, writeNpy } from '../util/npy.js';
import type { Matrix } from '../util/matrix.js';
import { MedprobeError } from '../util/errors.js';
import { withFileLock } from '../util/lock.js';

/**
 * Frozen features on disk, eva-style: embedded once, read by every protocol run after.
 * One entry per (model file, input size, dataset file, split, preprocessing, feature):
 *
 *   <root>/<key[0:2]>/<key>/features.npy   float32 [rows × cols], numpy-readable
 *   <root>/<key[0:2]>/<key>/manifest.json  what the key covers, shape, ids hash, provenance
 *
 * An entry is built in a temp directory and renamed into place, so a killed process
 * leaves either a complete entry or none; the manifest is the last file written.
 */
export const FEATURE_CACHE_FORMAT = 1;

export interface FeatureKeyParts {
  modelFingerprint: string;
  inputSize: number;
  datasetFingerprint: string;
  split: string;
  /** Hash of the exact preprocessing recipe (with the model card's normalisation resolved). */
  preprocessing: string;
  feature: string;
  /** The ORT provider when it is not cpu: GPU features are cached apart (absent on CPU, so CPU keys are unchanged). */
  device?: string;
}

export interface FeatureManifest extends FeatureKeyParts {
  format: number;
  key: string;
  rows: number;
  cols: number;
  dtype: 'float32';
  /** 3D: rows are slices, grouped into volumes by offsets.npy. */
  grouped: boolean;
  /** sha256 of the sample ids in row order, so rows can be matched to samples. */
  idsHash: string;
  createdAt: string;
  extractSeconds: number;
  medprobe: string;
  /** A shard entry: the split entry it is merged into (after which `cache gc` may remove it). */
  shardOf?: string;
}

/** Digest of a split's sample ids in row order, stored in every manifest so rows can be matched to samples. */
export function idsHash(ids: readonly string[]): string {
  const h = createHash('sha256');
  for (const id of ids) h.update(id).update('\0');
  return h.digest('hex');
}

export function featureKey(parts: FeatureKeyParts): string {
  return hashObject({ format: FEATURE_CACHE_FORMAT, ...parts });
}

export class FeatureCache {
  constructor(readonly root: string) {}

  entryDir(key: string): string {
    return path.join(this.root, key.slice(0, 2), key);
  }

  lockFile(key: string): string {
    return path.join(this.root, '.locks', `${key}.lock`);
  }

  /**
   * Run `fn` holding the entry's lock, so concurrent runs and workers on one cache compute an
   * entry once: the others wait, then find it present. `fn` should re-check `has()` first.
   */
  withLock<T>(key: string, fn: () => Promise<T>, what = `feature cache entry ${key.slice(0, 12)}`): Promise<T> {
    return withFileLock(this.lockFile(key), fn, {
      what,
      onWait: (h) => process.stderr.write(`waiting for ${what}: another medprobe process${h ? ` (pid ${h.pid} on ${h.host})` : ''} is computing it\n`),
    });
  }

  async has(key: string): Promise<boolean> {
    try {
      await fs.access(path.join(this.entryDir(key), 'manifest.json'));
      return true;
    } catch {
      return false;
    }
  }

  async read(key: string): Promise<{ matrix: Matrix; manifest: FeatureManifest; offsets?: Int32Array }> {
    const dir = this.entryDir(key);
    let manifest: FeatureManifest;
    try {
      manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as FeatureManifest;
    } catch (e) {
      throw new MedprobeError(`feature cache entry ${dir} is unreadable: ${(e as Error).message}`, {
        file: dir,
        hint: 'delete that directory; it will be re-extracted',
      });
    }
    const arr = await readNpy(path.join(dir, 'features.npy'));
    if (!(arr.data instanceof Float32Array) || arr.shape.length !== 2 || arr.shape[0] !== manifest.rows || arr.shape[1] !== manifest.cols) {
      throw new MedprobeError(`feature cache entry ${dir} does not match its manifest (${arr.shape.join('x')} vs ${manifest.rows}x${manifest.cols})`, {
        file: dir,
        hint: 'delete that directory; it will be re-extracted',
      });
    }
    const matrix = { data: arr.data, rows: manifest.rows, cols: manifest.cols };
    if (!manifest.grouped) return { matrix, manifest };
    const off = await readNpy(path.join(dir, 'offsets.npy'));
    if (!(off.data instanceof Int32Array) || off.data[off.data.length - 1] !== manifest.rows) {
      throw new MedprobeError(`feature cache entry ${dir} has inconsistent offsets.npy`, { file: dir, hint: 'delete that directory; it will be re-extracted' });
    }
    return { matrix, manifest, offsets: off.data };
  }

  /**
   * Store a matrix under `key` (with `offsets` for 3D: rows offsets[i]..offsets[i+1] belong to volume i).
   * Concurrent writers of the same key are harmless: the first rename wins.
   */
  async write(key: string, matrix: Matrix, manifest: Omit<FeatureManifest, 'key' | 'rows' | 'cols' | 'dtype' | 'format' | 'grouped'>, offsets?: Int32Array): Promise<void> {
    const final = this.entryDir(key);
    await fs.mkdir(path.dirname(final), { recursive: true });
    const tmp = path.join(path.dirname(final), `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(tmp);
    try {
      await writeNpy(path.join(tmp, 'features.npy'), matrix.data, [matrix.rows, matrix.cols]);
      if (offsets) await writeNpy(path.join(tmp, 'offsets.npy'), offsets, [offsets.length]);
      const full: FeatureManifest = { format: FEATURE_CACHE_FORMAT, key, rows: matrix.rows, cols: matrix.cols, dtype: 'float32', grouped: !!offsets, ...manifest };
      await fs.writeFile(path.join(tmp, 'manifest.json'), JSON.stringify(full, null, 2) + '\n');
      try {
        await fs.rename(tmp, final);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
        await fs.rm(tmp, { recursive: true, force: true }); // another worker finished the same entry first
      }
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }
}
