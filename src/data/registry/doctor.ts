import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { MedprobeError } from '../../util/errors.js';
import { REGISTRY } from './datasets.js';
import type { LayoutRequirement, RegistryDataset } from './types.js';
import { checkContent, type DoctorContent } from './content.js';

export interface DoctorCheck {
  pattern: string;
  what: string;
  optional: boolean;
  found: number;
  min: number;
  expected?: number;
  /** CSV columns the header lacks (only for CSV requirements). */
  missingColumns?: string[];
  ok: boolean;
  /** One line: what was found, or exactly what is missing. */
  message: string;
}

export interface DoctorReport {
  dataset: string;
  dir: string;
  ok: boolean;
  checks: DoctorCheck[];
  /** Failed checks, one line each. */
  problems: string[];
  /** Incomplete-but-usable findings (fewer files than the official release, ignored '._' files). */
  warnings: string[];
  download: string;
  /** With `content`: what the loader found inside the files (counts, partial download, decoded files). */
  content?: DoctorContent;
}

export function registryEntry(name: string): RegistryDataset {
  const d = REGISTRY.find((x) => x.name === name);
  if (!d) throw new MedprobeError(`unknown dataset '${name}'`, { hint: `registry datasets: ${REGISTRY.map((x) => x.name).join(', ')}` });
  return d;
}

async function listFiles(dir: string, recursive: boolean): Promise<string[] | null> {
  try {
    const entries = await fs.readdir(dir, { recursive, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => {
        const parent = (e as unknown as { parentPath?: string; path?: string }).parentPath ?? (e as unknown as { path: string }).path ?? dir;
        return path.relative(dir, path.join(parent, e.name)).split(path.sep).join('/');
      });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

async function csvHeader(file: string): Promise<string[]> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const firstLine = text.split(/\r?\n/, 1)[0];
    const rows = parseCsv(firstLine, { bom: true, to_line: 1 }) as string[][];
    return rows[0] ?? [];
  } finally {
    await fh.close();
  }
}

async function check(root: string, req: LayoutRequirement, warnings: string[]): Promise<DoctorCheck> {
  const base = { pattern: req.pattern, what: req.what, optional: !!req.optional, min: req.min, ...(req.expected !== undefined ? { expected: req.expected } : {}) };
  const files = await listFiles(path.join(root, req.dir), !!req.recursive);
  if (files === null) {
    const ok = !!req.optional || req.min === 0;
    return { ...base, found: 0, ok, message: `${req.dir || '.'}/ not found — expected ${req.pattern} (${req.what})` };
  }
  const appleDouble = files.filter((f) => path.posix.basename(f).startsWith('._'));
  if (appleDouble.length > 0) warnings.push(`${appleDouble.length} macOS '._*' file(s) under ${req.dir || '.'}/ ignored (not images; safe to delete)`);
  const matched = files.filter((f) => !path.posix.basename(f).startsWith('._') && req.match.test(req.recursive ? f : path.posix.basename(f)) && (req.recursive || !f.includes('/')));
  const found = matched.length;
  if (found < req.min) {
    return { ...base, found, ok: !!req.optional, message: `missing ${req.pattern}: found ${found}, need at least ${req.min} (${req.what})` };
  }
  if (req.csvColumns && found > 0) {
    const header = await csvHeader(path.join(root, req.dir, matched.sort()[0]));
    const missingColumns = req.csvColumns.filter((c) => !header.includes(c));
    if (missingColumns.length > 0) {
      return { ...base, found, missingColumns, ok: false, message: `${matched[0]} lacks column(s) ${missingColumns.map((c) => `'${c}'`).join(', ')} (has: ${header.join(', ')})` };
    }
  }
  if (req.expected !== undefined && found < req.expected) warnings.push(`${req.pattern}: ${found} of the ${req.expected} files in the official release`);
  return { ...base, found, ok: true, message: `${req.pattern}: ${found} file(s)${req.expected !== undefined ? ` of ${req.expected}` : ''}` };
}

/**
 * Check a folder against a registry dataset's expected layout (after the manual download) and say
 * exactly what is missing: which file patterns, how many files, which CSV columns. With `content`,
 * also open it with its loader and decode one case per split (`all`: every case) — see checkContent.
 */
export async function doctorDataset(name: string, dir: string, opts: { content?: boolean; all?: boolean } = {}): Promise<DoctorReport> {
  const entry = registryEntry(name);
  const root = path.resolve(dir);
  const warnings: string[] = [];
  let st;
  try {
    st = await fs.stat(root);
  } catch {
    st = null;
  }
  if (!st?.isDirectory()) {
    const message = `${root} is not a folder — download ${entry.title} from ${entry.download} and extract it there`;
    return { dataset: name, dir: root, ok: false, checks: [], problems: [message], warnings, download: entry.download };
  }
  const checks: DoctorCheck[] = [];
  for (const req of entry.layout) checks.push(await check(root, req, warnings));
  const problems = checks.filter((c) => !c.ok).map((c) => c.message);
  if (problems.length > 0 || !opts.content) return { dataset: name, dir: root, ok: problems.length === 0, checks, problems, warnings, download: entry.download };
  const content = await checkContent(entry, root, { all: opts.all });
  if (content) {
    problems.push(...content.problems);
    if (content.missing > 0) warnings.push(`partial download: ${content.used} of ${content.rows} entries the release's index names are present; ${content.missing} missing (first: ${content.firstMissing})`);
  }
  return { dataset: name, dir: root, ok: problems.length === 0, checks, problems, warnings, download: entry.download, ...(content ? { content } : {}) };
}
