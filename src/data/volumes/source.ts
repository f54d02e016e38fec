import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { DatasetSource, Sample, SplitName, SplitSource, Volume3D } from '../types.js';
import { SPLIT_NAMES, labelWidth } from '../types.js';
import type { LabelSpec } from '../folder/config.js';
import type { ImageFolderReport, RowProblem } from '../folder/source.js';
import { labelReader } from '../folder/labels.js';
import { readManifestRow } from '../folder/manifest-row.js';
import { readNifti } from '../nifti/read.js';
import { readDicomSeries } from '../dicom/series.js';
import { MedprobeError } from '../../util/errors.js';
import { compileUserPattern } from '../../util/user-pattern.js';
import { hashBytes, hashObject } from '../../util/hash.js';
import { toCanonical } from './canonical.js';

/** A CSV listing one volume per row: a .nii/.nii.gz file or a folder holding one DICOM series. */
export interface VolumeListConfig {
  name?: string;
  /** Folder the CSV's paths are relative to. */
  root: string;
  /** Manifest, relative to root or absolute. */
  csv: string;
  delimiter?: string;
  pathColumn: string;
  labels: LabelSpec;
  patientColumn?: string;
  patientPattern?: string;
  splitColumn?: string;
  onError: 'stop' | 'skip';
  modality?: string;
}

export type VolumeFormat = 'nifti' | 'dicom-series';

export interface VolumeListSource extends DatasetSource {
  readonly report: ImageFolderReport;
  /** Every volume's file (NIfTI) or folder (DICOM) with its format, in manifest order. */
  readonly volumes: ReadonlyArray<{ id: string; path: string; format: VolumeFormat }>;
}

const NIFTI = /\.nii(\.gz)?$/i;

async function classify(p: string): Promise<{ ok: true; format: VolumeFormat } | { ok: false; reason: string }> {
  let st;
  try {
    st = await fs.stat(p);
  } catch {
    return { ok: false, reason: 'file or folder not found' };
  }
  if (st.isDirectory()) return { ok: true, format: 'dicom-series' };
  if (NIFTI.test(p)) return { ok: true, format: 'nifti' };
  return { ok: false, reason: 'not a .nii/.nii.gz file or a folder of DICOM files' };
}

/** Read one listed volume in canonical RAS+ orientation (NIfTI: readNifti; DICOM: series → volume, then reoriented). */
export async function readListedVolume(p: string, format: VolumeFormat): Promise<Volume3D> {
  if (format === 'nifti') {
    const v = await readNifti(p);
    if (v.header.nonFinite > 0) {
      // NaN voxels would surface as NaN features, far from their cause.
      throw new MedprobeError(`${p}: ${v.header.nonFinite} of ${v.data.length} voxels are NaN or infinite`, { file: p, hint: 'replace them (e.g. numpy.nan_to_num or a mask value) and save the volume again, or leave it out of the list' });
    }
    return { kind: '3d', width: v.width, height: v.height, depth: v.depth, data: v.data, spacing: v.spacing, affine: v.affine };
  }
  const series = await readDicomSeries(p);
  // `data info` warns about these; a run refuses them, since a volume with a hole is a different volume.
  const bad = series.skipped.find((x) => !x.reason.startsWith('other series'));
  if (bad) throw new MedprobeError(`DICOM series ${p}: slice ${path.basename(bad.file)} cannot be read (${bad.reason})`, { file: bad.file, hint: 'restore that file from the original export, or leave the series out of the list' });
  const gaps = series.slicePositions.slice(1).map((z, i) => Math.abs(z - series.slicePositions[i]));
  if (gaps.length > 1 && Math.max(...gaps) > 1.5 * Math.min(...gaps)) {
    throw new MedprobeError(`DICOM series ${p}: slice spacing ranges ${Math.min(...gaps).toFixed(2)}–${Math.max(...gaps).toFixed(2)} mm, so slices are missing`, { file: p, hint: 'restore the missing files from the original export (`medprobe data info` lists the series), or leave the series out of the list' });
  }
  const v = toCanonical(series);
  return { kind: '3d', width: v.width, height: v.height, depth: v.depth, data: v.data, spacing: v.spacing, affine: v.affine };
}

/**
 * Open a CSV of volumes. Rows are checked at open (labels, split, the path exists and is a NIfTI
 * file or a folder); voxels are read on `get`. A corrupt file therefore fails at extraction with a
 * MedprobeError naming it. Bad rows stop the open (onError 'stop') or are listed in `report.skipped`.
 */
export async function openVolumeList(config: VolumeListConfig): Promise<VolumeListSource> {
  const root = path.resolve(config.root);
  const csvPath = path.resolve(root, config.csv);
  let csvBytes: Buffer;
  try {
    csvBytes = await fs.readFile(csvPath);
  } catch {
    throw new MedprobeError(`manifest not found: ${csvPath}`, { file: csvPath, hint: 'check root and csv in the dataset entry' });
  }
  let records: Record<string, string>[];
  try {
    records = parseCsv(csvBytes, { columns: true, bom: true, skip_empty_lines: true, delimiter: config.delimiter ?? ',' }) as Record<string, string>[];
  } catch (e) {
    throw new MedprobeError(`cannot parse manifest ${csvPath}: ${(e as Error).message.split('\n')[0]}`, { file: csvPath, hint: 'the file must be CSV with a header row' });
  }
  const header = records.length > 0 ? Object.keys(records[0]) : [];
  const labels = labelReader(config.labels, records);
  const needed = [config.pathColumn, ...labels.columns, ...(config.patientColumn ? [config.patientColumn] : []), ...(config.splitColumn ? [config.splitColumn] : [])];
  const missingCols = needed.filter((c) => !header.includes(c));
  if (missingCols.length > 0) {
    throw new MedprobeError(`manifest ${csvPath} lacks column(s) ${missingCols.map((c) => `'${c}'`).join(', ')}`, { file: csvPath, hint: `its columns are: ${header.join(', ') || '(none)'}` });
  }
  const patientRe = config.patientPattern ? compileUserPattern(config.patientPattern, { field: 'patientPattern', file: csvPath }) : undefined;
  const report: ImageFolderReport = { manifest: csvPath, rows: records.length, used: 0, skipped: [], droppedByLabelPolicy: [], missingLabels: 0, splitSizes: {}, notes: [] };
  const fail = (p: RowProblem): void => {
    if (config.onError === 'stop') {
      throw new MedprobeError(`manifest ${csvPath} line ${p.line}${p.file ? ` (${p.file})` : ''}: ${p.reason}`, { file: csvPath, hint: "fix the row, or set onError: skip to drop bad rows (they are listed in the load report)" });
    }
    report.skipped.push(p);
  };

  interface Row {
    id: string;
    path: string;
    format: VolumeFormat;
    label: Int32Array;
    patientId?: string;
    split: SplitName;
  }
  const rows: Row[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    const line = i + 2;
    const r = readManifestRow(rec, line, { pathColumn: config.pathColumn, splitColumn: config.splitColumn, patientColumn: config.patientColumn, patientRe }, labels, seen, report, fail, 'volume');
    if (!r) continue;
    const { id, rel, split, patientId } = r;
    const abs = path.resolve(root, rel);
    const kind = await classify(abs);
    if (!kind.ok) {
      fail({ line, file: rel, reason: kind.reason });
      continue;
    }
    rows.push({ id, path: abs, format: kind.format, label: r.label, patientId, split });
  }
  report.used = rows.length;
  if (rows.length === 0) {
    throw new MedprobeError(`manifest ${csvPath} has no usable rows (${records.length} rows, ${report.skipped.length} skipped)`, { file: csvPath, hint: 'check pathColumn, root and the label config' });
  }
  if (report.skipped.length > 0) report.notes.push(`${report.skipped.length} row(s) skipped (onError: skip); see report.skipped`);

  const width = labelWidth(labels.task);
  const splits: Partial<Record<SplitName, SplitSource>> = {};
  for (const name of SPLIT_NAMES) {
    const members = rows.filter((r) => r.split === name);
    if (members.length === 0) continue;
    report.splitSizes[name] = members.length;
    const lab = new Int32Array(members.length * width);
    members.forEach((r, k) => lab.set(r.label, k * width));
    splits[name] = {
      size: members.length,
      labels: lab,
      ids: members.map((r) => r.id),
      patientIds: members.every((r) => r.patientId !== undefined) ? members.map((r) => r.patientId!) : undefined,
      async get(i: number): Promise<Sample> {
        const r = members[i];
        if (!r) throw new RangeError(`index ${i} outside split ${name} of size ${members.length}`);
        return { id: r.id, image: await readListedVolume(r.path, r.format), label: r.label, ...(r.patientId !== undefined ? { patientId: r.patientId } : {}) };
      },
    };
  }
  return {
    name: config.name ?? path.basename(root),
    task: labels.task,
    dims: 3,
    ...(config.modality ? { modality: config.modality } : {}),
    // Manifest + config only; the caller (run/datasets) folds in the files' content hashes.
    fingerprint: hashObject({ manifest: hashBytes(csvBytes), pathColumn: config.pathColumn, labels: config.labels, split: config.splitColumn ?? null, patient: config.patientColumn ?? config.patientPattern ?? null }),
    files: [csvPath, root],
    splits,
    report,
    volumes: rows.map((r) => ({ id: r.id, path: r.path, format: r.format })),
  };
}
