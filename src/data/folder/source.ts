import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { DatasetSource, Sample, SplitName, SplitSource } from '../types.js';
import { SPLIT_NAMES, labelWidth } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import { compileUserPattern } from '../../util/user-pattern.js';
import { hashBytes, hashObject } from '../../util/hash.js';
import { createProgress } from '../../util/progress.js';
import { ImageFolderConfigSchema, type ImageFolderConfig, type ImageFolderConfigInput } from './config.js';
import { decodeImage, readImageFile, sniffImageFormat } from './decode.js';
import { labelReader } from './labels.js';
import { readManifestRow } from './manifest-row.js';

/** One manifest row that could not be used, and why. */
export interface RowProblem {
  /** 1-based line in the CSV (the header is line 1). */
  line: number;
  /** Image path as written in the CSV ('' when the cell was empty). */
  file: string;
  reason: string;
}

export interface ImageFolderReport {
  manifest: string;
  rows: number;
  used: number;
  /** Rows dropped under onError: 'skip' (file missing/corrupt, bad label), each with its reason. */
  skipped: RowProblem[];
  /** Rows dropped on purpose by the label policy (e.g. uncertain + 'ignore-sample'). */
  droppedByLabelPolicy: RowProblem[];
  /** Label cells stored as −1 (policy 'ignore-label'). */
  missingLabels: number;
  /** Samples per split. */
  splitSizes: Partial<Record<SplitName, number>>;
  notes: string[];
}

export interface ImageFolderSource extends DatasetSource {
  readonly report: ImageFolderReport;
  readonly config: ImageFolderConfig;
}

interface Row {
  id: string;
  file: string;
  label: Int32Array;
  patientId?: string;
  split: SplitName;
}

function configError(message: string, file: string, hint: string): MedprobeError {
  return new MedprobeError(message, { file, hint });
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Checks one image: exists and has a PNG/JPEG header, or (verify 'decode') decodes. Returns a problem or its size in bytes. */
async function checkImage(file: string, verify: 'exists' | 'decode'): Promise<{ ok: true; bytes: number } | { ok: false; reason: string }> {
  try {
    if (verify === 'decode') {
      const buf = await fs.readFile(file);
      await decodeImage(buf, file);
      return { ok: true, bytes: buf.length };
    }
    const fh = await fs.open(file, 'r');
    try {
      const head = new Uint8Array(8);
      const { bytesRead } = await fh.read(head, 0, 8, 0);
      const st = await fh.stat();
      if (!sniffImageFormat(head.subarray(0, bytesRead))) return { ok: false, reason: 'not a PNG or JPEG file' };
      return { ok: true, bytes: st.size };
    } finally {
      await fh.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: 'file not found' };
    if (code === 'EISDIR') return { ok: false, reason: 'is a directory' };
    return { ok: false, reason: e instanceof MedprobeError ? e.message : (e as Error).message.split('\n')[0] };
  }
}

/**
 * Open a folder of PNG/JPEG images described by a CSV manifest. Labels are read at open (no image
 * is decoded unless verify: 'decode'); images are decoded on `get`. Every problem row is either an
 * error (onError 'stop') or listed in `report.skipped` with its reason (onError 'skip') — never
 * silently dropped.
 */
export async function openImageFolder(input: ImageFolderConfigInput): Promise<ImageFolderSource> {
  const parsed = ImageFolderConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MedprobeError(`invalid image-folder config: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { hint: 'see docs/datasets.md#image-folders--csv' });
  }
  const config = parsed.data;
  const root = path.resolve(config.root);
  const csvPath = path.resolve(root, config.csv);
  let csvBytes: Buffer;
  try {
    csvBytes = await fs.readFile(csvPath);
  } catch {
    throw configError(`manifest not found: ${csvPath}`, csvPath, 'check root and csv in the dataset config');
  }
  let records: Record<string, string>[];
  try {
    records = parseCsv(csvBytes, { columns: true, bom: true, skip_empty_lines: true, delimiter: config.delimiter, relax_column_count: false }) as Record<string, string>[];
  } catch (e) {
    throw configError(`cannot parse manifest ${csvPath}: ${(e as Error).message.split('\n')[0]}`, csvPath, 'the file must be CSV with a header row');
  }
  const header = records.length > 0 ? Object.keys(records[0]) : (parseCsv(csvBytes, { to_line: 1, bom: true, delimiter: config.delimiter }) as string[][])[0] ?? [];
  return fromRecords(records, header, { config, root, manifest: csvPath, manifestHash: hashBytes(csvBytes), describe: (line) => `manifest ${csvPath} line ${line}` });
}

interface RecordsOrigin {
  config: ImageFolderConfig;
  root: string;
  /** The manifest file, or a description of where the records came from. */
  manifest: string;
  manifestHash: string;
  /** Where a row is, for error messages. */
  describe(line: number): string;
}

/** The shared core: rows of string cells (from a CSV or a folder walk) → a DatasetSource. */
export async function fromRecords(records: Record<string, string>[], header: string[], origin: RecordsOrigin): Promise<ImageFolderSource> {
  const { config, root, manifest: csvPath } = origin;
  const labels = labelReader(config.labels, records);
  const needed = [config.imageColumn, ...labels.columns, ...(config.patientColumn ? [config.patientColumn] : []), ...(config.splitColumn ? [config.splitColumn] : [])];
  const missingCols = needed.filter((c) => !header.includes(c));
  if (missingCols.length > 0) {
    throw configError(`manifest ${csvPath} lacks column(s) ${missingCols.map((c) => `'${c}'`).join(', ')}`, csvPath, `its columns are: ${header.join(', ')}`);
  }
  const patientRe = config.patientPattern ? compileUserPattern(config.patientPattern, { field: 'patientPattern', file: csvPath }) : undefined;

  const report: ImageFolderReport = { manifest: csvPath, rows: records.length, used: 0, skipped: [], droppedByLabelPolicy: [], missingLabels: 0, splitSizes: {}, notes: [] };
  const fail = (p: RowProblem): void => {
    if (config.onError === 'stop') {
      throw new MedprobeError(`${origin.describe(p.line)}${p.file ? ` (${p.file})` : ''}: ${p.reason}`, { file: csvPath, hint: "fix the row, or set onError: 'skip' to drop bad rows (they are listed in the report)" });
    }
    report.skipped.push(p);
  };

  // Pass 1: cells (labels, split, duplicates) — cheap, no I/O.
  const candidates: Array<Row & { line: number }> = [];
  const seen = new Set<string>();
  const cols = { pathColumn: config.imageColumn, splitColumn: config.splitColumn, patientColumn: config.patientColumn, patientRe };
  records.forEach((rec, i) => {
    const line = i + 2;
    const r = readManifestRow(rec, line, cols, labels, seen, report, fail);
    if (r) candidates.push({ id: r.id, file: path.resolve(root, r.rel), label: r.label, patientId: r.patientId, split: r.split, line });
  });

  // Pass 2: files (exists + header, or full decode), bounded concurrency.
  const bar = createProgress(config.verify === 'decode' ? 'decoding images' : 'checking images', candidates.length);
  let checks: Awaited<ReturnType<typeof checkImage>>[];
  try {
    checks = await mapLimit(candidates, 16, async (c) => {
      const r = await checkImage(c.file, config.verify);
      bar.tick();
      return r;
    });
  } finally {
    bar.stop();
  }
  const rows: Row[] = [];
  const sizes: Array<[string, number]> = [];
  candidates.forEach((c, i) => {
    const r = checks[i];
    if (!r.ok) return fail({ line: c.line, file: path.relative(root, c.file), reason: r.reason });
    rows.push(c);
    sizes.push([c.id, r.bytes]);
  });
  report.used = rows.length;
  if (rows.length === 0) {
    throw configError(`manifest ${csvPath} has no usable rows (${records.length} rows, ${report.skipped.length} skipped, ${report.droppedByLabelPolicy.length} dropped by label policy)`, csvPath, 'check imageColumn, root and the label config');
  }
  if (!config.splitColumn) report.notes.push('no split column: every sample is in train; apply a split (systematicSplit, randomPatientSplit or a split file) with applySplits');
  if (report.skipped.length > 0) report.notes.push(`${report.skipped.length} row(s) skipped (onError: skip); see report.skipped`);

  const width = labelWidth(labels.task);
  const splits: Partial<Record<SplitName, SplitSource>> = {};
  for (const name of SPLIT_NAMES) {
    const members = rows.filter((r) => r.split === name);
    if (members.length === 0) continue;
    report.splitSizes[name] = members.length;
    const lab = new Int32Array(members.length * width);
    members.forEach((r, k) => lab.set(r.label, k * width));
    const hasPatients = members.every((r) => r.patientId !== undefined);
    splits[name] = {
      size: members.length,
      labels: lab,
      ids: members.map((r) => r.id),
      patientIds: hasPatients ? members.map((r) => r.patientId!) : undefined,
      async get(i: number): Promise<Sample> {
        const r = members[i];
        if (!r) throw new RangeError(`index ${i} outside split ${name} of size ${members.length}`);
        return { id: r.id, image: await readImageFile(r.file), label: r.label, ...(r.patientId !== undefined ? { patientId: r.patientId } : {}) };
      },
    };
  }
  // Fingerprint: manifest bytes + label/split config + (id, byte size) of every used image.
  // File sizes rather than contents: hashing 45 GB of NIH images on every open is not an option.
  const fingerprint = hashObject({
    manifest: origin.manifestHash,
    config: { imageColumn: config.imageColumn, labels: config.labels, splitColumn: config.splitColumn ?? null, patient: config.patientColumn ?? config.patientPattern ?? null, onError: config.onError },
    files: hashObject(sizes),
  });
  return {
    name: config.name ?? path.basename(root),
    task: labels.task,
    dims: 2,
    fingerprint,
    files: [csvPath, root],
    splits,
    report,
    config,
  };
}
