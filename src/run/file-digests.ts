import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { hashBytes, hashFile } from '../util/hash.js';
import { createProgress } from '../util/progress.js';

/** One file's content hash and the stat it was taken at. */
interface Entry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

/**
 * sha256 of every file's contents, with a sidecar cache under `<cacheDir>/file-digests/`: a file
 * whose (path, size, mtime) matches the sidecar is not read again. Hashing a 100k-image folder in
 * full takes minutes once; reopening it then costs one stat per file. A file edited in place with
 * its mtime restored would be missed — the price of not re-reading every byte on every open.
 */
export async function fileDigests(files: readonly string[], opts: { cacheDir: string; /** Names the sidecar (e.g. the dataset root). */ key: string; label?: string }): Promise<Map<string, string>> {
  const sidecar = path.join(opts.cacheDir, 'file-digests', `${hashBytes(path.resolve(opts.key)).slice(0, 24)}.json`);
  const label = opts.label ?? 'hashing files';
  let known: Record<string, Entry> = {};
  try {
    known = JSON.parse(await fs.readFile(sidecar, 'utf8')) as Record<string, Entry>;
  } catch {
    known = {};
  }
  const out = new Map<string, string>();
  let changed = false;
  const bar = createProgress(label, files.length, 'file');
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = path.resolve(files[next++]);
      const st = await fs.stat(file);
      const k = known[file];
      if (k && k.size === st.size && k.mtimeMs === st.mtimeMs) out.set(file, k.sha256);
      else {
        const sha256 = await hashFile(file);
        known[file] = { size: st.size, mtimeMs: st.mtimeMs, sha256 };
        out.set(file, sha256);
        changed = true;
      }
      bar.tick();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(8, files.length) }, worker));
  } finally {
    bar.stop();
  }
  // The sidecar is an optimisation: a read-only cache dir must not stop a run.
  if (changed) await writeJsonAtomic(sidecar, known).catch(() => undefined);
  return out;
}
