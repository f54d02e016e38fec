import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { MedprobeError } from '../../util/errors.js';
import { writeJsonAtomic } from '../../util/atomic.js';
import { canonicalJson, hashBytes } from '../../util/hash.js';
import { SPLIT_NAMES, type SplitName } from '../types.js';
import type { SplitAssignment } from './assignment.js';

export const SPLIT_FILE_FORMAT = 'medprobe.splits/v1';

const SplitFileSchema = z
  .object({
    format: z.literal(SPLIT_FILE_FORMAT),
    dataset: z.string(),
    /** How the split was made (free-form, for humans and provenance). */
    method: z.record(z.string(), z.unknown()).optional(),
    splits: z.object({ train: z.array(z.string()).optional(), val: z.array(z.string()).optional(), test: z.array(z.string()).optional() }).strict(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

export type SplitFile = z.infer<typeof SplitFileSchema>;

/** The content hash covers dataset name and ids (not the method note), canonical JSON. */
export function splitContentHash(dataset: string, splits: SplitAssignment): string {
  const clean: SplitAssignment = {};
  for (const s of SPLIT_NAMES) if (splits[s]) clean[s] = splits[s];
  return hashBytes(canonicalJson({ format: SPLIT_FILE_FORMAT, dataset, splits: clean }));
}

function checkDisjoint(splits: SplitAssignment, file: string): void {
  const seen = new Map<string, SplitName>();
  for (const s of SPLIT_NAMES) {
    for (const id of splits[s] ?? []) {
      const prev = seen.get(id);
      if (prev) throw new MedprobeError(`split file ${file}: sample '${id}' is in both ${prev} and ${s}`, { file, hint: 'each sample may belong to one split only' });
      seen.set(id, s);
    }
  }
}

export async function exportSplits(file: string, dataset: string, splits: SplitAssignment, method?: Record<string, unknown>): Promise<SplitFile> {
  checkDisjoint(splits, file);
  const clean: SplitFile['splits'] = {};
  for (const s of SPLIT_NAMES) if (splits[s]) clean[s] = [...splits[s]!];
  const content: SplitFile = { format: SPLIT_FILE_FORMAT, dataset, ...(method ? { method } : {}), splits: clean, sha256: splitContentHash(dataset, clean) };
  await writeJsonAtomic(file, content);
  return content;
}

/**
 * Read a split file, verify its content hash (edited or truncated files are refused) and, when
 * `knownIds` is given, that every id exists in the dataset.
 */
export async function importSplits(file: string, knownIds?: Iterable<string>): Promise<SplitFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MedprobeError(code === 'ENOENT' ? `split file not found: ${file}` : `split file ${file} is not valid JSON`, { file, hint: 'export it again with exportSplits / medprobe data split' });
  }
  const r = SplitFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new MedprobeError(`split file ${file} is malformed at ${issue.path.join('.') || '(root)'}: ${issue.message}`, { file, hint: `expected a ${SPLIT_FILE_FORMAT} file` });
  }
  const sf = r.data;
  const actual = splitContentHash(sf.dataset, sf.splits);
  if (actual !== sf.sha256) {
    throw new MedprobeError(`split file ${file} does not match its sha256 (stored ${sf.sha256.slice(0, 12)}…, content ${actual.slice(0, 12)}…)`, { file, hint: 'the file was edited or corrupted; export the split again' });
  }
  checkDisjoint(sf.splits, file);
  if (knownIds) {
    const known = new Set(knownIds);
    const missing: string[] = [];
    for (const s of SPLIT_NAMES) for (const id of sf.splits[s] ?? []) if (!known.has(id)) missing.push(id);
    if (missing.length > 0) {
      throw new MedprobeError(`split file ${file} names ${missing.length} sample(s) the dataset does not have: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`, {
        file,
        hint: 'the split belongs to another dataset or version; check the dataset folder',
      });
    }
  }
  return sf;
}
