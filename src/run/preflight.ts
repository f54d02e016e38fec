import { promises as fs } from 'node:fs';
import path from 'node:path';
import { medmnistDir } from '../data/medmnist/pull.js';
import { medmnistFileName } from '../data/medmnist/registry.js';
import { doctorDataset } from '../data/registry/doctor.js';
import { MedprobeError } from '../util/errors.js';
import type { RunLocation } from './resources.js';

/** What a suite's dataset needs before a run, and the exact command or download that provides it. */
export interface MissingData {
  dataset: string;
  fix: string;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** Every dataset of the suite that is not on disk yet (MedMNIST files, registry folders). */
export async function missingData(location: RunLocation): Promise<MissingData[]> {
  const missing: MissingData[] = [];
  for (const entry of location.suite.datasets) {
    if (entry.source === 'medmnist') {
      if (entry.pull) continue;
      const file = entry.file ? path.resolve(location.baseDir, entry.file) : path.join(medmnistDir(location.cacheDir), medmnistFileName(entry.name, entry.size));
      if (!(await exists(file))) missing.push({ dataset: entry.name, fix: entry.file ? `put ${entry.name} at ${file}` : `medprobe data pull ${entry.name} --size ${entry.size}` });
    } else if (entry.source === 'registry' || (entry.source === 'segmentation' && entry.format === 'registry')) {
      const dir = path.resolve(location.baseDir, entry.source === 'registry' ? entry.dir : entry.root);
      const report = await doctorDataset(entry.name, dir);
      if (!report.ok) missing.push({ dataset: entry.name, fix: `download from ${report.download} into ${dir} (${report.problems[0]})` });
    }
  }
  return missing;
}

/** Stop before any work when data is missing, listing every dataset and its fix in one line. */
export async function requireSuiteData(location: RunLocation): Promise<void> {
  const missing = await missingData(location);
  if (missing.length === 0) return;
  const n = location.suite.datasets.length;
  throw new MedprobeError(`suite ${location.suite.name} is missing ${missing.length} of its ${n} dataset(s): ${missing.map((m) => m.dataset).join(', ')}`, {
    hint: missing.map((m) => m.fix).join('; '),
  });
}
