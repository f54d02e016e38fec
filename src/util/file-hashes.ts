import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from './atomic.js';
import { hashBytes, hashFile, type HashAlgorithm } from './hash.js';
import { createProgress } from './progress.js';

/**
 * Content hashes of data files, cached inside medprobe's own cache directory (never beside the
 * data: a dataset folder may be read-only or shared). A cached hash is reused only while the
 * file's (size, mtime, inode, ctime) are unchanged. Replacing a file, even with one of the same
 * size and a restored mtime, changes its ctime or inode (neither can be set from user space), so
 * the file is read again. `verify: true` ignores the cache and re-reads every byte.
 */
export interface FileHashOptions {
  /** medprobe's cache root; the hashes live under `<cacheDir>/file-hashes/`. */
  cacheDir: string;
  /** Re-read every file instead of trusting the stat-keyed cache. */
  verify?: boolean;
  algorithm?: HashAlgorithm;
  /** Progress label for many files. */
  label?: string;
}

interface Entry {
  size: number;
  mtimeMs: number;
  ino: number;
  ctimeMs: number;
  hash: string;
}

type Stat = Pick<import('node:fs').Stats, 'size' | 'mtimeMs' | 'ino' | 'ctimeMs'>;

const sameStat = (a: Stat | undefined, b: Stat): boolean =>
  !!a && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.ctimeMs === b.ctimeMs;

/** One JSON per data directory and algorithm, so a 100k-file folder is one read, not 100k. */
function storeFile(cacheDir: string, dir: string, algorithm: HashAlgorithm): string {
  return path.join(cacheDir, 'file-hashes', `${hashBytes(dir).slice(0, 24)}.${algorithm}.json`);
}

async function readStore(file: string): Promise<Record<string, Entry>> {
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, Entry>) : {};
  } catch {
    return {}; // absent or torn: the hashes are recomputed
  }
}

/** Hash of every file (absolute path → hex digest). */
export async function fileHashes(files: readonly string[], opts: FileHashOptions): Promise<Map<string, string>> {
  const algorithm = opts.algorithm ?? 'sha256';
  const abs = files.map((f) => path.resolve(f));
  const byDir = new Map<string, Record<string, Entry>>();
  for (const dir of new Set(abs.map((f) => path.dirname(f)))) byDir.set(dir, opts.verify ? {} : await readStore(storeFile(opts.cacheDir, dir, algorithm)));
  const changedDirs = new Set<string>();
  const out = new Map<string, string>();
  const bar = abs.length > 1 ? createProgress(opts.label ?? 'hashing files', abs.length, 'file') : undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < abs.length) {
      const file = abs[next++];
      const dir = path.dirname(file);
      const known = byDir.get(dir)!;
      const st = await fs.stat(file);
      const k = known[path.basename(file)];
      if (k && sameStat(k, st)) out.set(file, k.hash);
      else {
        const hash = await hashFile(file, algorithm);
        // Stat again: a file rewritten while it was read must not be cached under the old stat.
        if (sameStat(await fs.stat(file), st)) {
          known[path.basename(file)] = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, ctimeMs: st.ctimeMs, hash };
          changedDirs.add(dir);
        }
        out.set(file, hash);
      }
      bar?.tick();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(8, abs.length) }, worker));
  } finally {
    bar?.stop();
  }
  for (const dir of changedDirs) {
    const target = storeFile(opts.cacheDir, dir, algorithm);
    // Merge with what another process stored meanwhile; the cache is an optimisation, so a
    // read-only or full cache directory must not stop a run.
    const merged = { ...(await readStore(target)), ...byDir.get(dir)! };
    await writeJsonAtomic(target, merged).catch(() => undefined);
  }
  // In the caller's order, not completion order: callers iterate the map into fingerprints.
  return new Map(abs.map((f) => [f, out.get(f)!]));
}

/** Hash of one file (see `fileHashes`). */
export async function fileHash(file: string, opts: FileHashOptions): Promise<string> {
  return (await fileHashes([file], opts)).get(path.resolve(file))!;
}
