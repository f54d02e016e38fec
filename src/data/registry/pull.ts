import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { download, terminalByteProgress } from '../../util/download.js';
import { withFileLock } from '../../util/lock.js';
import { MedprobeError } from '../../util/errors.js';
import { doctorDataset, registryEntry, type DoctorReport } from './doctor.js';
import type { RegistryDataset } from './types.js';

/**
 * Datasets with a stable public archive: the MSD tasks from the mirror the MONAI project maintains
 * (the URLs and MD5s its DecathlonDataset verifies). Everything else needs a manual download.
 */
const ARCHIVES: Record<string, { url: string; md5: string; folder: string }> = {
  'msd-spleen': { url: 'https://msd-for-monai.s3-us-west-2.amazonaws.com/Task09_Spleen.tar', md5: '410d4a301da4e5b2f6f86ec3ddba524e', folder: 'Task09_Spleen' },
  'msd-hippocampus': { url: 'https://msd-for-monai.s3-us-west-2.amazonaws.com/Task04_Hippocampus.tar', md5: '9d24dba78a72977dbd1d2e110310f31b', folder: 'Task04_Hippocampus' },
  'msd-heart': { url: 'https://msd-for-monai.s3-us-west-2.amazonaws.com/Task02_Heart.tar', md5: '06ee59366e1e5124267b774dbd654057', folder: 'Task02_Heart' },
};

export function registryArchive(name: string): { url: string; md5: string; folder: string } | undefined {
  return ARCHIVES[name];
}

/** The manual steps for a dataset without a public archive: where to get it and the folder it must become. */
export function manualDownloadSteps(entry: RegistryDataset): string[] {
  return [
    `${entry.name} (${entry.title}) has no public archive medprobe can fetch (licence: ${entry.license}).`,
    `1. Download it from ${entry.download}`,
    '2. Unpack it (as released, nothing renamed) so that the folder holds:',
    ...entry.layout.map((r) => `     ${r.pattern.padEnd(34)} ${r.what}${r.optional ? ' (optional)' : ''}`),
    `3. Check it: medprobe data doctor ${entry.name} <folder>`,
    `4. Use it in a suite: { source: registry, name: ${entry.name}, dir: <folder> }`,
  ];
}

export interface PullRegistryOptions {
  /** Parent folder; the task unpacks to `<dir>/<Task…>`. */
  dir: string;
  /** Replaces the archive URL's origin (a mirror or a test server). */
  baseUrl?: string;
  /** Expected MD5 instead of the registry's (tests). */
  md5?: string;
  timeoutMs?: number;
  onProgress?: (done: number, total: number | undefined) => void;
}

/**
 * Download an MSD task's archive (resuming a `.part`), verify its MD5, unpack it next to the
 * target and move it into place only when complete, then check it with the doctor. macOS `._*`
 * files in the archive are not unpacked. A folder already in place is checked, not overwritten.
 */
export async function pullRegistryDataset(name: string, opts: PullRegistryOptions): Promise<{ folder: string; doctor: DoctorReport; downloaded: boolean }> {
  registryEntry(name);
  const archive = ARCHIVES[name];
  if (!archive) throw new MedprobeError(`${name} has no public archive medprobe can fetch`, { hint: `\`medprobe data pull ${name}\` prints the manual download steps` });
  const parent = path.resolve(opts.dir);
  const folder = path.join(parent, archive.folder);
  if (existsSync(folder)) return { folder, doctor: await doctorDataset(name, folder), downloaded: false };
  const tarFile = path.join(parent, `.${archive.folder}.tar`);
  const staging = path.join(parent, `.${archive.folder}.unpacking`);
  await withFileLock(`${tarFile}.lock`, async () => {
    if (existsSync(folder)) return;
    const url = opts.baseUrl ? `${opts.baseUrl.replace(/\/+$/, '')}${new URL(archive.url).pathname}` : archive.url;
    const bar = opts.onProgress ? undefined : terminalByteProgress(path.basename(archive.url));
    try {
      await download(url, tarFile, { md5: (opts.md5 ?? archive.md5).toLowerCase(), resume: true, timeoutMs: opts.timeoutMs, onProgress: opts.onProgress ?? bar?.onProgress });
    } finally {
      bar?.stop();
    }
    await fs.rm(staging, { recursive: true, force: true });
    await fs.mkdir(staging, { recursive: true });
    try {
      const tar = await import('tar');
      await tar.x({ file: tarFile, cwd: staging, filter: (p: string) => !path.posix.basename(p).startsWith('._') });
      const unpacked = path.join(staging, archive.folder);
      if (!existsSync(unpacked)) throw new MedprobeError(`${path.basename(archive.url)} does not hold ${archive.folder}/`, { file: tarFile, hint: 'the archive is not the MSD release; delete it and pull again' });
      await fs.rename(unpacked, folder);
    } catch (e) {
      if (e instanceof MedprobeError) throw e;
      throw new MedprobeError(`cannot unpack ${tarFile}: ${(e as Error).message}`, { file: tarFile, hint: 'delete it and pull again', cause: e });
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
    await fs.rm(tarFile, { force: true });
  }, { what: `the download of ${archive.folder}`, waitMs: 60 * 60_000 });
  return { folder, doctor: await doctorDataset(name, folder, { content: true }), downloaded: true };
}
