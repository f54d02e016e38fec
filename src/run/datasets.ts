import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DatasetSource } from '../data/types.js';
import { openMedMNIST } from '../data/medmnist/source.js';
import { medmnistFile, medmnistFileName, medmnistInfo } from '../data/medmnist/registry.js';
import { medmnistDir, pullMedMNIST } from '../data/medmnist/pull.js';
import { MEDMNIST_MODALITY } from '../data/medmnist/modality.js';
import { MedprobeError } from '../util/errors.js';
import type { DatasetEntry } from './suite.js';

export interface DatasetContext {
  baseDir: string;
  cacheDir: string;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** Open a suite's dataset entry: an explicit file, the cache, or (with `pull: true`) a download. */
export async function openSuiteDataset(entry: DatasetEntry, ctx: DatasetContext): Promise<DatasetSource> {
  const info = medmnistInfo(entry.name);
  medmnistFile(info.name, entry.size); // rejects sizes the dataset does not have
  if (entry.file) {
    const file = path.resolve(ctx.baseDir, entry.file);
    if (!(await exists(file))) {
      throw new MedprobeError(`dataset file not found: ${file}`, { file, hint: `fix \`file\` for ${info.name} in the suite, or drop it and run \`medprobe data pull ${info.name} --size ${entry.size}\`` });
    }
    return openMedMNIST(file, { name: info.name });
  }
  const cached = path.join(medmnistDir(ctx.cacheDir), medmnistFileName(info.name, entry.size));
  if (await exists(cached)) return openMedMNIST(cached, { name: info.name });
  if (entry.pull) return openMedMNIST(await pullMedMNIST(info.name, { size: entry.size, cacheDir: ctx.cacheDir }), { name: info.name });
  throw new MedprobeError(`${info.name} (${entry.size} px) is not in the cache (${cached})`, {
    hint: `run \`medprobe data pull ${info.name} --size ${entry.size}\`, set \`pull: true\`, or give \`file:\` in the suite`,
  });
}

/** Imaging modality for leaderboard filters, when the source or the registry knows it. */
export function datasetModality(ds: DatasetSource): string | undefined {
  return ds.modality ?? MEDMNIST_MODALITY[ds.name];
}
