import path from 'node:path';
import type { SplitName } from '../types.js';
import type { UserPattern } from '../../util/user-pattern.js';
import { parseSplitName } from '../splits/names.js';
import type { LabelReader } from './labels.js';
import type { ImageFolderReport, RowProblem } from './source.js';

/** The manifest columns every CSV-listed source reads the same way. */
export interface ManifestColumns {
  pathColumn: string;
  splitColumn?: string;
  patientColumn?: string;
  /** Patient id from the file path (first capture group), when there is no patient column. */
  patientRe?: UserPattern;
}

export interface ManifestRow {
  /** The path as written, '/'-separated: the sample id. */
  id: string;
  rel: string;
  label: Int32Array;
  patientId?: string;
  split: SplitName;
}

/**
 * One manifest row's cells: path, duplicate check, labels (with the label policy), split and
 * patient. Problems go to `fail` (which stops or records, per `onError`); rows the label policy
 * drops are recorded in the report. Returns null when the row is not used.
 */
export function readManifestRow(
  rec: Record<string, string>,
  line: number,
  cols: ManifestColumns,
  labels: LabelReader,
  seen: Set<string>,
  report: ImageFolderReport,
  fail: (p: RowProblem) => void,
  noun = 'image',
): ManifestRow | null {
  const rel = (rec[cols.pathColumn] ?? '').trim();
  if (rel === '') {
    fail({ line, file: '', reason: `empty '${cols.pathColumn}' cell` });
    return null;
  }
  // A manifest is data, not a program: its paths stay under the dataset root (no `..`, no absolute
  // paths), so a CSV cannot make medprobe read, hash or copy files elsewhere on the machine.
  if (path.isAbsolute(rel) || path.win32.isAbsolute(rel) || rel.split(/[\\/]+/).includes('..')) {
    fail({ line, file: rel, reason: `path '${rel}' leads outside the dataset root; manifest paths are relative to it and stay inside it` });
    return null;
  }
  const id = rel.split(path.sep).join('/');
  if (seen.has(id)) {
    fail({ line, file: rel, reason: `${noun} listed twice in the manifest` });
    return null;
  }
  seen.add(id);
  const lab = labels.read(rec);
  if (!lab.ok) {
    if (lab.dropped) report.droppedByLabelPolicy.push({ line, file: rel, reason: lab.reason });
    else fail({ line, file: rel, reason: lab.reason });
    return null;
  }
  let split: SplitName = 'train';
  if (cols.splitColumn) {
    const s = parseSplitName(rec[cols.splitColumn] ?? '');
    if (!s) {
      fail({ line, file: rel, reason: `unknown split '${rec[cols.splitColumn]}' in column '${cols.splitColumn}' (use train/val/test)` });
      return null;
    }
    split = s;
  }
  const patientId = cols.patientColumn ? (rec[cols.patientColumn] ?? '').trim() || undefined : cols.patientRe?.firstGroup(rel);
  if (cols.patientRe && patientId === undefined) {
    // Without a patient the row would be its own group and could leak across splits unnoticed.
    fail({ line, file: rel, reason: `patientPattern '${cols.patientRe.source}' does not match this path (its first capture group is the patient id)` });
    return null;
  }
  for (const v of lab.label) if (v === -1) report.missingLabels++;
  return { id, rel, label: lab.label, patientId, split };
}
