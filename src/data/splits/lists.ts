import { promises as fs } from 'node:fs';
import { MedprobeError } from '../../util/errors.js';
import { SPLIT_NAMES, type SplitName } from '../types.js';
import type { SplitAssignment } from './assignment.js';

/**
 * Official splits shipped as plain id lists, one per line (NIH ChestX-ray14's train_val_list.txt /
 * test_list.txt). Blank lines are skipped; an id listed twice, or in two lists, is an error.
 */
export async function splitsFromLists(files: Partial<Record<SplitName, string>>): Promise<SplitAssignment> {
  const out: SplitAssignment = {};
  const seen = new Map<string, SplitName>();
  for (const split of SPLIT_NAMES) {
    const file = files[split];
    if (!file) continue;
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      throw new MedprobeError(`split list not found: ${file}`, { file, hint: 'check the path; NIH ships train_val_list.txt and test_list.txt next to the CSV' });
    }
    const ids = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    for (const id of ids) {
      const prev = seen.get(id);
      if (prev) throw new MedprobeError(`'${id}' is listed in ${prev === split ? `${file} twice` : `both the ${prev} and ${split} lists`}`, { file, hint: 'each id may appear once across the split lists' });
      seen.set(id, split);
    }
    out[split] = ids;
  }
  return out;
}
