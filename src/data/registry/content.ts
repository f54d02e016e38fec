import path from 'node:path';
import type { ImageFolderReport } from '../folder/source.js';
import { SPLIT_NAMES, type SplitName } from '../types.js';
import { isMedprobeError } from '../../util/errors.js';
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

const MISSING = /not in the folder$/;

function summarise(report: ImageFolderReport, root: string): Omit<DoctorContent, 'opened' | 'problems' | 'splitSizes'> & { problems: string[] } {
  const missing = report.skipped.filter((s) => MISSING.test(s.reason));
  const broken = report.skipped.filter((s) => !MISSING.test(s.reason));
  return {
    rows: report.rows,
    used: report.used,
    missing: missing.length,
    ...(missing[0] ? { firstMissing: missing[0].file } : {}),
    problems: broken.map((s) => `${s.file}: ${s.reason}`),
    notes: report.notes.map((n) => n.replace(root + path.sep, '')),
  };
}

/**
 * Open the dataset with its own loader under onError 'skip' (so a partial download is counted,
 * not fatal), then decode the first case of every split — one file of each kind: image, label
 * map or masks, .mat — or every case with `all`. A fake or corrupt file fails, naming it.
 */
export async function checkContent(entry: RegistryDataset, root: string, opts: { all?: boolean } = {}): Promise<DoctorContent | null> {
  const rel = (f: string): string => path.relative(root, f).split(path.sep).join('/');
  const fail = (e: unknown): string => (isMedprobeError(e) || e instanceof Error ? (e as Error).message : String(e));
  const opened: string[] = [];
  const problems: string[] = [];
  if (entry.loader) {
    let load;
    try {
      load = await entry.loader(root, { onError: 'skip' });
    } catch (e) {
      return { rows: 0, used: 0, missing: 0, splitSizes: {}, opened, problems: [fail(e)], notes: [] };
    }
    const s = summarise(load.report, root);
    for (const name of SPLIT_NAMES) {
      const split = load.dataset.splits[name];
      for (let i = 0; split && i < (opts.all ? split.size : Math.min(1, split.size)); i++) {
        try {
          await split.get(i);
          opened.push(split.ids[i]);
        } catch (e) {
          problems.push(fail(e));
        }
      }
    }
    return { ...s, problems: [...s.problems, ...problems], splitSizes: load.report.splitSizes, opened };
  }
  if (entry.segLoader) {
    let load;
    try {
      load = await entry.segLoader(root, { onError: 'skip' });
    } catch (e) {
      return { rows: 0, used: 0, missing: 0, splitSizes: {}, opened, problems: [fail(e)], notes: [] };
    }
    const s = summarise(load.report, root);
    for (const name of SPLIT_NAMES) {
      for (const c of opts.all ? load.splits[name] : load.splits[name].slice(0, 1)) {
        try {
          await c.load();
          opened.push(...c.files.map(rel));
        } catch (e) {
          problems.push(fail(e));
        }
      }
    }
    return { ...s, problems: [...s.problems, ...problems], splitSizes: load.report.splitSizes, opened };
  }
  return null;
}
