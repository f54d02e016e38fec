import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { namingPath } from './fs-errors.js';

/** A sibling temp path: same directory so the final rename is atomic on POSIX. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.tmp-${path.basename(target)}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Write a file so readers see either the old content or the new, never a torn one:
 * write to a temp sibling, fsync, rename. A crash leaves at most a `.tmp-*` file.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  // Errors name `target` (a full disk fails a write on a handle, which carries no path).
  await namingPath(target, async () => {
    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmp = tempPathFor(target);
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => {});
      await fs.rm(tmp, { force: true });
      throw e;
    }
    await fh.close();
    await fs.rename(tmp, target);
  });
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n');
}
