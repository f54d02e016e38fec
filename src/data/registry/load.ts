import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DatasetSource } from '../types.js';
import type { ImageFolderReport, RowProblem } from '../folder/source.js';
import type { SplitAssignment, SplitItem } from '../splits/assignment.js';
import { groupByPatient } from '../splits/groups.js';
import { systematicSplit } from '../splits/systematic.js';
import { MedprobeError } from '../../util/errors.js';

/**
 * What every registry loader shares: its options, what it returns, and the two rules every one
 * applies the same way — files the index names but the download lacks, and the study's
 * systematic patient split scaled to a partial download.
 */
export interface RegistryLoadOptions {
  /** 'stop': files the index names but the folder lacks are an error. 'skip': run on what is present and list the rest. */
  onError: 'stop' | 'skip';
  /** CheXpert: how uncertain (−1) findings are read. The study maps them to 0. */
  uncertain?: 'zero' | 'one' | 'ignore-label' | 'ignore-sample';
}

export interface RegistryLoad {
  /** Samples already in the study's splits. */
  dataset: DatasetSource;
  /** Rows used and skipped (with reasons), notes on how the release was read. */
  report: ImageFolderReport;
  split: { method: Record<string, unknown>; assignment: SplitAssignment };
  /** Every file the samples read, for the content fingerprint. */
  files: string[];
}

export type RegistryLoader = (dir: string, opts: RegistryLoadOptions) => Promise<RegistryLoad>;

export function emptyReport(manifest: string): ImageFolderReport {
  return { manifest, rows: 0, used: 0, skipped: [], droppedByLabelPolicy: [], missingLabels: 0, splitSizes: {}, notes: [] };
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** The end of the reason every loader gives a file its index names but the download lacks (the doctor counts these as a partial download). */
export const NOT_IN_FOLDER = 'but not in the folder';

/**
 * Keep the entries whose file exists. A partial download (index files naming absent images or
 * volumes) stops with one line — the count and the first missing file — unless onError is 'skip',
 * where the absent ones are listed in the report.
 */
export async function dropMissing<T>(entries: readonly T[], fileOf: (e: T) => string, ctx: { dataset: string; index: string; root: string; report: ImageFolderReport; onError: 'stop' | 'skip'; lineOf?: (e: T, i: number) => number }): Promise<T[]> {
  const present = await Promise.all(entries.map((e) => exists(fileOf(e))));
  const missing = entries.filter((_, i) => !present[i]);
  if (missing.length > 0) {
    const first = path.relative(ctx.root, fileOf(missing[0]));
    if (ctx.onError === 'stop') {
      throw new MedprobeError(`${ctx.dataset}: ${missing.length} of ${entries.length} file(s) named in ${ctx.index} are missing (first: ${first})`, {
        file: path.join(ctx.root, first),
        hint: "finish the download, or set onError: skip to run on what is present (the load report lists what was skipped)",
      });
    }
    entries.forEach((e, i) => {
      if (!present[i]) ctx.report.skipped.push({ line: ctx.lineOf?.(e, i) ?? i + 1, file: path.relative(ctx.root, fileOf(e)), reason: `named in ${ctx.index} ${NOT_IN_FOLDER}` } satisfies RowProblem);
    });
  }
  return entries.filter((_, i) => present[i]);
}

/**
 * The reference study's systematic split (`np.arange(0, n, n/m).round()`, test first, then val
 * from the rest) with its patient counts. On a partial download (fewer patients than the
 * release) the counts are scaled to the same fractions, and the method says so.
 */
export function studySystematicSplit(items: readonly SplitItem[], study: { patients: number; test: number; val: number }): { assignment: SplitAssignment; method: Record<string, unknown> } {
  const n = groupByPatient(items).length;
  let { test, val } = study;
  const scaled = n !== study.patients;
  if (scaled) {
    test = Math.min(n, Math.round((n * study.test) / study.patients));
    val = Math.min(n - test, Math.round(((n - test) * study.val) / (study.patients - study.test)));
  }
  return {
    assignment: compactSplits(systematicSplit(items, { test, val })),
    method: { systematic: { patients: n, test, val, study: { patients: study.patients, test: study.test, val: study.val }, ...(scaled ? { scaled: `the release has ${study.patients} patients, this folder ${n}: counts scaled to the study's fractions` } : {}) } },
  };
}

/** The assignment without empty splits (a split with no samples is absent, not empty). */
export function compactSplits(a: SplitAssignment): SplitAssignment {
  return Object.fromEntries(Object.entries(a).filter(([, ids]) => ids && ids.length > 0));
}

/** Natural order ('Covid (2).png' before 'Covid (10).png'), as a user reading the folder expects. */
export const naturalCompare = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' }).compare;

/** Read a CSV index with a header row (tolerating the trailing comma NIH's Data_Entry_2017.csv has on its header only). */
export async function readIndexCsv(file: string, dataset: string): Promise<{ bytes: Buffer; records: Record<string, string>[] }> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    throw new MedprobeError(`${dataset}: index file not found: ${file}`, { file, hint: `\`medprobe data doctor ${dataset} <dir>\` lists what the release must contain` });
  }
  const { parse } = await import('csv-parse/sync');
  try {
    return { bytes, records: parse(bytes, { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true }) as Record<string, string>[] };
  } catch (e) {
    throw new MedprobeError(`${dataset}: cannot parse ${file}: ${(e as Error).message.split('\n')[0]}`, { file, hint: 'the file is corrupt or truncated; download it again' });
  }
}

/** The first of `names` that exists in `dir`, or an error naming what was looked for. */
export async function findIndexFile(dir: string, dataset: string, match: RegExp, what: string): Promise<string> {
  let names: string[] = [];
  try {
    names = (await fs.readdir(dir)).filter((n) => match.test(n) && !n.startsWith('._')).sort();
  } catch {
    throw new MedprobeError(`${dataset}: ${dir} is not a folder`, { file: dir, hint: `download the dataset and extract it there; \`medprobe data doctor ${dataset} ${dir}\` shows the expected layout` });
  }
  if (names.length === 0) throw new MedprobeError(`${dataset}: no ${what} in ${dir}`, { file: dir, hint: `the release ships it at the top of the download; \`medprobe data doctor ${dataset} ${dir}\` lists what is missing` });
  return path.join(dir, names[names.length - 1]);
}
