import path from 'node:path';
import type { ImageFolderReport } from '../folder/source.js';
import { SPLIT_NAMES, type SplitName } from '../types.js';
import { NOT_IN_FOLDER } from './load.js';
import type { RegistryDataset } from './types.js';

/** What the doctor found inside the files (not just their names). */
export interface DoctorContent {
  /** Entries the release's index names (or files found, where there is no index). */
  rows: number;
  /** Entries present and readable. */
  used: number;
  /** Named by the index but not in the folder: a partial download. */
  missing: number;
  firstMissing?: string;
  splitSizes: Partial<Record<SplitName, number>>;
  /** Files decoded to prove they are what they claim (relative to the dataset folder). */
  opened: string[];
  /** One line per file that failed to decode or to match its index. */
  problems: string[];
  notes: string[];
}


function summarise(report: ImageFolderReport, root: string): Omit<DoctorContent, 'opened' | 'problems' | 'splitSizes'> & { problems: string[] } {
  const missing = report.skipped.filter((s) => s.reason.endsWith(NOT_IN_FOLDER));
  const broken = report.skipped.filter((s) => !s.reason.endsWith(NOT_IN_FOLDER));
  return {
    rows: report.rows,
    used: report.used,
    missing: missing.length,
    ...(missing[0] ? { firstMissing: missing[0].file } : {}),
    problems: broken.map((s) => `${s.file}: ${s.reason}`),
    notes: report.notes.map((n) => n.replace(root + path.sep, '')),
  };
}

interface Openable {
  report: ImageFolderReport;
  /** Per split, the cases in order: what decoding one reads, and how. */
  splits: Record<SplitName, Array<{ files: string[]; load(): Promise<unknown> }>>;
}

async function openForCheck(entry: RegistryDataset, root: string): Promise<Openable | null> {
  const rel = (f: string): string => path.relative(root, f).split(path.sep).join('/');
  if (entry.loader) {
    const l = await entry.loader(root, { onError: 'skip' });
    const cases = (s: SplitName) => {
      const split = l.dataset.splits[s];
      return split ? split.ids.map((id, i) => ({ files: [id], load: () => split.get(i) })) : [];
    };
    return { report: l.report, splits: { train: cases('train'), val: cases('val'), test: cases('test') } };
  }
  if (entry.segLoader) {
    const l = await entry.segLoader(root, { onError: 'skip' });
    const cases = (s: SplitName) => l.splits[s].map((c) => ({ files: c.files.map(rel), load: () => c.load() }));
    return { report: l.report, splits: { train: cases('train'), val: cases('val'), test: cases('test') } };
  }
  return null;
}

/**
 * Open the dataset with its own loader under onError 'skip' (so a partial download is counted,
 * not fatal), then decode the first case of every split — one file of each kind: image, label
 * map or masks, .mat — or every case with `all`. A fake or corrupt file fails, naming it.
 */
export async function checkContent(entry: RegistryDataset, root: string, opts: { all?: boolean } = {}): Promise<DoctorContent | null> {
  const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
  let opened: Openable | null;
  try {
    opened = await openForCheck(entry, root);
  } catch (e) {
    return { rows: 0, used: 0, missing: 0, splitSizes: {}, opened: [], problems: [message(e)], notes: [] };
  }
  if (!opened) return null;
  const s = summarise(opened.report, root);
  const files: string[] = [];
  for (const name of SPLIT_NAMES) {
    for (const c of opts.all ? opened.splits[name] : opened.splits[name].slice(0, 1)) {
      try {
        await c.load();
        files.push(...c.files);
      } catch (e) {
        s.problems.push(message(e));
      }
    }
  }
  return { ...s, splitSizes: opened.report.splitSizes, opened: files };
}
