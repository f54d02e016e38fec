import { existsSync } from 'node:fs';
import path from 'node:path';
import { download, terminalByteProgress } from '../../util/download.js';
import { withFileLock } from '../../util/lock.js';
import { defaultCacheDir } from '../../util/paths.js';
import { medmnistFile, medmnistInfo, type MedMNISTSize } from './registry.js';
import { fileHash } from '../../util/file-hashes.js';

export interface PullMedMNISTOptions {
  /** Image size; 28 (default), 64, 128 or 224 for 2D, 28 or 64 for 3D. */
  size?: MedMNISTSize;
  /** medprobe cache root; files land in `<cacheDir>/datasets/medmnist/`. Default `$MEDPROBE_CACHE` or `~/.cache/medprobe`. */
  cacheDir?: string;
  /**
   * Replaces the origin of the official Zenodo URL (a mirror or a test server):
   * `http://mirror:8080/prefix` + `/records/10519652/files/<file>.npz?download=1`.
   */
  baseUrl?: string;
  /** Expected MD5 instead of the registry's, for a mirror that serves other bytes on purpose (tests). */
  md5?: string;
  timeoutMs?: number;
  /** Byte progress; default: a progress bar on stderr when it is a terminal. */
  onProgress?: (done: number, total: number | undefined) => void;
}

/** Folder under a medprobe cache root that holds MedMNIST files. */
export function medmnistDir(cacheDir: string = defaultCacheDir()): string {
  return path.join(cacheDir, 'datasets', 'medmnist');
}

/** The URL a pull fetches: the registry's, or with its origin replaced by `baseUrl`. */
export function medmnistUrl(name: string, size: MedMNISTSize = 28, baseUrl?: string): string {
  const url = medmnistFile(name, size).url;
  if (!baseUrl) return url;
  const u = new URL(url);
  return `${baseUrl.replace(/\/+$/, '')}${u.pathname}${u.search}`;
}

/**
 * Make sure a MedMNIST file is in the cache and return its path. A present file whose MD5
 * matches is used as is (the MD5 is cached under <cacheDir>/file-hashes); otherwise it is
 * downloaded (resuming a previous `.part`) and verified against the MD5 from MedMNIST's info.py.
 * Concurrent pulls of one file (processes or calls) wait on `<file>.lock` and download it once.
 */
export async function pullMedMNIST(name: string, opts: PullMedMNISTOptions = {}): Promise<string> {
  const info = medmnistInfo(name);
  const size = opts.size ?? 28;
  const file = medmnistFile(info.name, size);
  const md5 = (opts.md5 ?? file.md5).toLowerCase();
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const dest = path.join(medmnistDir(cacheDir), file.fileName);
  const ready = async () => existsSync(dest) && (await fileHash(dest, { cacheDir, algorithm: 'md5' })) === md5;
  if (await ready()) return dest;
  await withFileLock(`${dest}.lock`, async () => {
    if (await ready()) return; // another pull finished it while we waited
    const bar = opts.onProgress ? undefined : terminalByteProgress(file.fileName);
    try {
      await download(medmnistUrl(info.name, size, opts.baseUrl), dest, {
        md5,
        resume: true,
        timeoutMs: opts.timeoutMs,
        onProgress: opts.onProgress ?? bar?.onProgress,
      });
    } finally {
      bar?.stop();
    }
  }, { what: `the download of ${file.fileName}`, waitMs: 30 * 60_000 });
  return dest;
}
