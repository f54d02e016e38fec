import { MedprobeError } from './errors.js';

/**
 * Filesystem failures (a full disk, a read-only mount, a file where a folder should be) as one
 * line naming the path and what to do, instead of Node's `ENOSPC: no space left on device, write`.
 * The CLI turns any such error into this line; code that knows better throws its own MedprobeError.
 */
const FIXES: Record<string, (p: string) => [string, string]> = {
  ENOTDIR: (p) => [`${p}: part of this path is a file, not a folder`, 'point the folder option (cacheDir, resultsDir, --out, --cache-dir) at a folder, or move that file away'],
  EISDIR: (p) => [`${p} is a folder where a file was expected`, 'pass a file path, or remove the folder'],
  EEXIST: (p) => [`${p} already exists and is in the way`, 'move it away or choose another output path'],
  EACCES: (p) => [`permission denied: ${p}`, 'make it readable/writable for this user (chmod, chown) or point medprobe at a folder you own'],
  EPERM: (p) => [`operation not permitted on ${p}`, 'make it writable for this user or point medprobe at a folder you own'],
  EROFS: (p) => [`${p} is on a read-only file system`, 'point cacheDir / resultsDir / --out at a writable folder (medprobe never writes into dataset folders)'],
  ENOSPC: (p) => [`no space left on the disk holding ${p}`, 'free space there (`medprobe cache gc` removes orphaned shards and temp files) or move cacheDir / resultsDir / --out to a bigger disk'],
  EDQUOT: (p) => [`disk quota exceeded writing ${p}`, 'free space in your quota or move cacheDir / resultsDir / --out elsewhere'],
  EMFILE: (p) => [`too many open files (at ${p})`, 'raise the limit (ulimit -n) or lower --workers'],
  ENAMETOOLONG: (p) => [`path too long: ${p}`, 'use a shorter output folder or shorter model/dataset names'],
};

/** A MedprobeError for a Node filesystem error with a known code; undefined for anything else. */
export function fsErrorToMedprobe(e: unknown): MedprobeError | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  const fix = err && typeof err === 'object' && typeof err.code === 'string' ? FIXES[err.code] : undefined;
  if (!fix) return undefined;
  const where = err!.path ?? '(path unknown)';
  const [message, hint] = fix(where);
  return new MedprobeError(`${message} (${err!.code})`, { file: err!.path, hint, cause: e });
}

/**
 * A file that could not be read, as one line with the fix for why: missing (`missing` is that fix,
 * which only the caller knows: where the path came from), a code above (a folder, no permission),
 * or another I/O error.
 */
export function cannotRead(file: string, e: unknown, what: string, missing: string): MedprobeError {
  const err = e as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ENOENT') return new MedprobeError(`${what} not found: ${file}`, { file, hint: missing, cause: e });
  if (err && typeof err === 'object' && err.path === undefined) err.path = file;
  return (
    fsErrorToMedprobe(e) ??
    new MedprobeError(`cannot read ${what} ${file}: ${err?.message ?? String(e)}`, { file, hint: 'the file system failed to read it; check the disk or network mount, then retry', cause: e })
  );
}

/** Run `f`; a filesystem error without a path gets `file` as its path, so the message can name it. */
export async function namingPath<T>(file: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err === 'object' && typeof err.code === 'string' && err.path === undefined) err.path = file;
    throw e;
  }
}
