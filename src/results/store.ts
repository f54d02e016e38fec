import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MedprobeError } from '../util/errors.js';
import { ResultSchema, type Result } from './schema.js';

/** A validated result and where it was read from (relative to the results folder, `/`-separated). */
export interface StoredResult {
  file: string;
  result: Result;
}

/**
 * Result files live at `<results>/<model>/<dataset>/<protocol>.json`, so only JSON files at
 * depth ≥ 3 are results. Shallower files (a leaderboard export someone wrote into the folder)
 * and entries starting with `.` (temp files of atomic writes) are not results and are skipped
 * rather than rejected. The top-level `_datasets/` folder is reserved for dataset side files
 * (docs/site.md). Other `_`-prefixed folders are searched: `safeSegment` turns a model name that
 * starts with a symbol into `_…`.
 */
export const RESERVED_RESULTS_DIRS = ['_datasets'];

async function findResultFiles(root: string, rel: string[] = []): Promise<string[]> {
  const dir = path.join(root, ...rel);
  const entries = await fs.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || (rel.length === 0 && RESERVED_RESULTS_DIRS.includes(e.name))) continue;
    if (e.isDirectory()) out.push(...(await findResultFiles(root, [...rel, e.name])));
    else if (e.isFile() && e.name.endsWith('.json') && rel.length >= 2) out.push([...rel, e.name].join('/'));
  }
  return out;
}

/** Parse and validate one result file; any problem is a one-line MedprobeError naming the file. */
export async function readResultFile(file: string): Promise<Result> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `not valid JSON: ${(e as Error).message.split('\n')[0]}`;
    throw new MedprobeError(`result file ${file} is ${why}`, { file, hint: 'delete it or re-run that unit to rewrite it' });
  }
  const r = ResultSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new MedprobeError(`invalid result file ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      file,
      hint: 'it does not match medprobe.result/v1; re-run that unit or delete the file',
    });
  }
  return r.data;
}

/** Every result under `dir` with its relative path, in path order (deterministic across machines). */
export async function loadResultFiles(dir: string): Promise<StoredResult[]> {
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch {
    throw new MedprobeError(`results folder not found: ${dir}`, { file: dir, hint: 'pass the folder `medprobe run` wrote its results to' });
  }
  if (!stat.isDirectory()) throw new MedprobeError(`results path is not a folder: ${dir}`, { file: dir, hint: 'pass the results folder, not a single file' });
  const files = await findResultFiles(dir);
  const out: StoredResult[] = [];
  for (const file of files) out.push({ file, result: await readResultFile(path.join(dir, file)) });
  return out;
}

/** Every result under `dir`, validated with `ResultSchema`. */
export async function loadResults(dir: string): Promise<Result[]> {
  return (await loadResultFiles(dir)).map((s) => s.result);
}
