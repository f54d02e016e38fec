import path from 'node:path';
import { SPLIT_NAMES, type DatasetSource } from '../types.js';
import { MedprobeError } from '../../util/errors.js';

/**
 * The file a dataset's splits and labels come from (the npz, the CSV, the registry folder), so a
 * split problem names what the user has to edit rather than "toy/train".
 */
function sourceFile(ds: DatasetSource): string {
  return ds.files[0] ?? ds.name;
}

function fixFor(ds: DatasetSource, file: string, problem: 'empty' | 'one-class'): string {
  if (/\.npz$/i.test(file)) return `use the complete file of this dataset (\`medprobe data pull ${ds.name}\` fetches and checks it), or re-save the npz with ${problem === 'empty' ? 'samples in every split' : 'both classes in train and val'}`;
  if (/\.(csv|tsv|txt)$/i.test(file)) {
    return problem === 'empty'
      ? `give that split rows in the split column of ${path.basename(file)}, or let medprobe split by patient (splits: {random: …} in the suite)`
      : `check the label column of ${path.basename(file)} (and its split column)`;
  }
  return 'check that the dataset folder is complete (`medprobe data doctor`)';
}

/**
 * A dataset a classification run can score: every split it has holds samples, and the splits a
 * head is fitted or selected on (train, val) show at least two classes for single-label tasks.
 * Checked when the dataset opens, so the run stops before extracting anything, naming the file.
 * (Multi-label columns that occur one way only are left to the protocols, which name the column.)
 */
export function assertUsableSplits(ds: DatasetSource): void {
  const file = sourceFile(ds);
  for (const name of SPLIT_NAMES) {
    const split = ds.splits[name];
    if (split && split.size === 0) {
      throw new MedprobeError(`${file}: the ${name} split of ${ds.name} has 0 samples`, { file, hint: `every split needs samples (${name} is where heads are ${name === 'test' ? 'scored' : name === 'val' ? 'selected' : 'fitted'}); ${fixFor(ds, file, 'empty')}` });
    }
  }
  if (ds.task.type === 'multi-label') return;
  for (const name of ['train', 'val'] as const) {
    const split = ds.splits[name];
    if (!split) continue;
    const seen = new Set<number>();
    for (let i = 0; i < split.labels.length && seen.size < 2; i++) seen.add(split.labels[i]);
    if (seen.size < 2) {
      const only = ds.task.labels[split.labels[0]] ?? String(split.labels[0]);
      throw new MedprobeError(`${file}: the ${name} split of ${ds.name} has one class only ('${only}', ${split.size} samples)`, {
        file,
        hint: `a classifier needs at least two classes to fit and select on; ${fixFor(ds, file, 'one-class')}`,
      });
    }
  }
}
