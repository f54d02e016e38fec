import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { MedprobeError } from './errors.js';
import { fsErrorToMedprobe } from './fs-errors.js';

/**
 * Before any work: can `dir` (a cacheDir, resultsDir or --out) hold medprobe's files? It need not
 * exist yet; its nearest existing ancestor must be a writable folder. Nothing is created, so a
 * dry run stays read-only, and a file in the way or a read-only mount is one line up front, not
 * an ENOTDIR after an hour of extraction.
 */
export async function requireWritableFolder(dir: string, option: string): Promise<void> {
  const fix = `point ${option} at a folder you can write to`;
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    let st;
    try {
      st = await fs.stat(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && path.dirname(p) !== p) continue;
      throw fsErrorToMedprobe(e) ?? e;
    }
    if (!st.isDirectory()) throw new MedprobeError(`${option} ${dir} cannot be a folder: ${p} is a file`, { file: p, hint: `${fix}, or move that file away` });
    try {
      await fs.access(p, constants.W_OK);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'EROFS' ? 'is on a read-only file system' : 'is not writable for this user';
      throw new MedprobeError(`${option} ${dir} cannot be written: ${p} ${why}`, { file: p, hint: fix });
    }
    return;
  }
}

/**
 * Refuse to write `target` when a folder between `root` and it is a symbolic link: a link planted
 * in an output folder (site/results → /etc) must not send medprobe's writes elsewhere. The file
 * itself is replaced by an atomic rename, which replaces a link rather than writing through it.
 */
export async function refuseLinksBelow(root: string, target: string): Promise<void> {
  const rel = path.relative(root, target);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new MedprobeError(`refusing to write ${target}: it is outside ${root}`, { file: target, hint: 'this is a bug; please report it' });
  let p = path.resolve(root);
  for (const part of path.dirname(rel).split(path.sep).filter((s) => s && s !== '.')) {
    p = path.join(p, part);
    const st = await fs.lstat(p).catch(() => undefined);
    if (!st) return; // created fresh below here
    if (st.isSymbolicLink()) throw new MedprobeError(`refusing to write through the symbolic link ${p}`, { file: p, hint: `remove the link from ${root}, or pass another output folder` });
  }
}

/**
 * Read a file a results folder points at (an overlay PNG) only when it is a regular file whose real
 * path lies inside `root`: a symlink there to /etc/shadow is never copied into a published site.
 */
export async function readRegularFileInside(root: string, file: string, what: string, listedIn: string): Promise<Buffer> {
  const realRoot = await fs.realpath(root);
  let real: string;
  try {
    real = await fs.realpath(file);
  } catch {
    throw new MedprobeError(`${what} ${file} listed in ${listedIn} not found`, { file: listedIn, hint: 'regenerate it or remove it from the result' });
  }
  const rel = path.relative(realRoot, real);
  const st = await fs.lstat(file);
  if (st.isSymbolicLink() || rel.startsWith('..') || path.isAbsolute(rel) || !(await fs.stat(real)).isFile()) {
    throw new MedprobeError(`${what} ${file} listed in ${listedIn} is a link or not a regular file inside ${root}`, { file: listedIn, hint: 'keep result side files as plain files inside the results folder' });
  }
  return fs.readFile(real);
}
