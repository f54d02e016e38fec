import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DatasetSource } from '../data/types.js';
import { SPLIT_NAMES } from '../data/types.js';
import { openMedMNIST } from '../data/medmnist/source.js';
import { medmnistFile, medmnistFileName, medmnistInfo } from '../data/medmnist/registry.js';
import { medmnistDir, pullMedMNIST } from '../data/medmnist/pull.js';
import { MEDMNIST_MODALITY } from '../data/medmnist/modality.js';
import { openImageFolder, type ImageFolderReport } from '../data/folder/source.js';
import { openVolumeList } from '../data/volumes/source.js';
import { doctorDataset, registryEntry } from '../data/registry/doctor.js';
import { officialSplits, type SplitAssignment } from '../data/splits/assignment.js';
import { assertNoPatientOverlap, findPatientOverlap, type PatientOverlap } from '../data/splits/overlap.js';
import { exportSplits } from '../data/splits/file.js';
import { assertUsableSplits } from '../data/splits/usable.js';
import { safeSegment } from '../util/paths.js';
import { MedprobeError } from '../util/errors.js';
import { hashObject } from '../util/hash.js';
import type { DatasetEntry } from './suite.js';
import type { FolderEntry, MedmnistEntry, RegistryEntry, VolumesEntry } from './dataset-entries.js';
import { fileHashes } from '../util/file-hashes.js';
import { patientLookup, splitDataset } from './split-policy.js';
import { publishLoadReport, type LoadReport } from './load-report.js';

export interface DatasetContext {
  baseDir: string;
  cacheDir: string;
  /** Where folder/volumes load reports go (`<resultsDir>/_datasets/<name>/load-report.json`); without it, under cacheDir. */
  resultsDir?: string;
  /** Re-read every data file instead of trusting cached hashes (`--verify`). */
  verify?: boolean;
}

export interface OpenedSuiteDataset {
  dataset: DatasetSource;
  /** Folder and volumes sources: what was used, skipped and how it was split. */
  loadReport?: LoadReport;
  loadReportFile?: string;
  /** The final assignment of sample ids to splits. */
  assignment: SplitAssignment;
  patientOverlap: PatientOverlap[];
  patientIdsAvailable: boolean;
}

const FINGERPRINT_METHOD = 'sha256 over the manifest (or registry index) bytes, the label/patient/split config, the split assignment and the sha256 of every used file (cached in <cache>/file-hashes keyed by size, mtime, inode and ctime; --verify rereads all)';

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function openMedmnistEntry(entry: MedmnistEntry, ctx: DatasetContext): Promise<DatasetSource> {
  const info = medmnistInfo(entry.name);
  medmnistFile(info.name, entry.size); // rejects sizes the dataset does not have
  // Images are inflated at each split's first use: a plan (`run --dry-run`), a run whose features
  // are all cached and a split export need sizes and labels only, not gigabytes of pixels.
  const opts = { name: info.name, cacheDir: ctx.cacheDir, verify: ctx.verify, lazyImages: true };
  if (entry.file) {
    const file = path.resolve(ctx.baseDir, entry.file);
    if (!(await exists(file))) {
      throw new MedprobeError(`dataset file not found: ${file}`, { file, hint: `fix \`file\` for ${info.name} in the suite, or drop it and run \`medprobe data pull ${info.name} --size ${entry.size}\`` });
    }
    return openMedMNIST(file, opts);
  }
  const cached = path.join(medmnistDir(ctx.cacheDir), medmnistFileName(info.name, entry.size));
  if (await exists(cached)) return openMedMNIST(cached, opts);
  if (entry.pull) return openMedMNIST(await pullMedMNIST(info.name, { size: entry.size, cacheDir: ctx.cacheDir }), opts);
  throw new MedprobeError(`${info.name} (${entry.size} px) is not in the cache (${cached})`, {
    hint: `run \`medprobe data pull ${info.name} --size ${entry.size}\`, set \`pull: true\`, or give \`file:\` in the suite`,
  });
}

/**
 * A registry dataset, opened by its own loader as released: the doctor's layout check first (a
 * folder that fails it stops with exactly what is missing), then the loader's study splits, written
 * to a split file with its hash so two machines provably use the same split.
 */
async function openRegistryEntry(entry: RegistryEntry, ctx: DatasetContext, overlap: 'fail' | 'report'): Promise<OpenedSuiteDataset> {
  const reg = registryEntry(entry.name);
  const dir = path.resolve(ctx.baseDir, entry.dir);
  const doctor = await doctorDataset(entry.name, dir);
  if (!doctor.ok) {
    throw new MedprobeError(`${entry.name} in ${dir} is incomplete: ${doctor.problems.join('; ')}`, { hint: `download it from ${doctor.download}; \`medprobe data doctor ${entry.name} ${dir}\` shows every check` });
  }
  if (!reg.loader) {
    throw new MedprobeError(`${entry.name} is a ${reg.task} dataset: a classification suite cannot run it`, {
      hint: 'segmentation datasets run through the segmentation protocol (docs/segmentation.md); remove it from this suite',
    });
  }
  const load = await reg.loader(dir, { onError: entry.onError, ...(entry.uncertain ? { uncertain: entry.uncertain } : {}) });
  const { assignment, method } = load.split;
  const patientOf = patientLookup(load.dataset);
  if (overlap === 'fail') assertNoPatientOverlap(assignment, patientOf, `dataset ${entry.name}`);
  const empty = (['train', 'test'] as const).filter((s) => (assignment[s]?.length ?? 0) === 0);
  if (empty.length > 0) {
    throw new MedprobeError(`${entry.name} in ${dir} has no ${empty.join(' or ')} samples (${load.report.used} usable of ${load.report.rows}; split ${JSON.stringify(method)})`, {
      hint: 'too few cases are present for the study split; finish the download (`medprobe data doctor` counts what is there)',
    });
  }
  const out = ctx.resultsDir ?? ctx.cacheDir;
  const splitFile = path.join(out, '_datasets', safeSegment(entry.name), 'splits.json');
  const sf = await exportSplits(splitFile, entry.name, assignment, method);
  const digests = await fileHashes(load.files, { cacheDir: ctx.cacheDir, verify: ctx.verify, label: `hashing ${entry.name}` });
  const fingerprint = hashObject({ base: load.dataset.fingerprint, files: hashObject([...digests.entries()].map(([f, h]) => [path.relative(dir, f), h]).sort()), assignment: sf.sha256 });
  const dataset: DatasetSource = { ...load.dataset, fingerprint, modality: load.dataset.modality ?? reg.modality };
  const splitSizes = Object.fromEntries(SPLIT_NAMES.filter((s) => dataset.splits[s]).map((s) => [s, dataset.splits[s]!.size]));
  const loadReport: LoadReport = { ...load.report, splitSizes, dataset: entry.name, source: 'registry', split: { ...method, file: path.relative(out, splitFile), sha256: sf.sha256 }, fingerprint: { value: fingerprint, method: FINGERPRINT_METHOD } };
  const loadReportFile = await publishLoadReport(loadReport, out);
  return { dataset, loadReport, loadReportFile, assignment, patientOverlap: findPatientOverlap(assignment, patientOf), patientIdsAvailable: SPLIT_NAMES.some((s) => load.dataset.splits[s]?.patientIds) };
}

type ManifestEntry = FolderEntry | VolumesEntry;

async function openManifestEntry(entry: ManifestEntry, ctx: DatasetContext, overlap: 'fail' | 'report'): Promise<OpenedSuiteDataset> {
  const root = path.resolve(ctx.baseDir, entry.root);
  const common = {
    name: entry.name,
    root,
    csv: entry.csv,
    delimiter: entry.delimiter,
    labels: entry.labels,
    onError: entry.onError,
    ...(entry.patientColumn ? { patientColumn: entry.patientColumn } : {}),
    ...(entry.patientPattern ? { patientPattern: entry.patientPattern } : {}),
    ...(entry.splitColumn ? { splitColumn: entry.splitColumn } : {}),
  };
  let base: DatasetSource;
  let files: string[];
  let report: ImageFolderReport;
  if (entry.source === 'folder') {
    const ds = await openImageFolder({ ...common, imageColumn: entry.imageColumn, verify: entry.verify });
    base = ds;
    report = ds.report;
    files = SPLIT_NAMES.flatMap((s) => ds.splits[s]?.ids ?? []).map((id) => path.resolve(root, id));
  } else {
    const ds = await openVolumeList({ ...common, pathColumn: entry.pathColumn, modality: entry.modality });
    base = ds;
    report = ds.report;
    files = [];
    for (const v of ds.volumes) {
      if (v.format === 'nifti') files.push(v.path);
      else for (const f of await fs.readdir(v.path, { recursive: true, withFileTypes: true })) if (f.isFile()) files.push(path.join((f as unknown as { parentPath: string }).parentPath, f.name));
    }
  }
  const split = await splitDataset(base, entry.splits, { baseDir: ctx.baseDir, hasSplitColumn: !!entry.splitColumn, overlap });
  const digests = await fileHashes(files, { cacheDir: ctx.cacheDir, verify: ctx.verify, label: `hashing ${base.name}` });
  const fingerprint = hashObject({
    base: base.fingerprint,
    files: hashObject([...digests.entries()].map(([f, h]) => [path.relative(root, f), h]).sort()),
    assignment: hashObject(split.assignment),
  });
  const modality = entry.modality ?? base.modality;
  const dataset: DatasetSource = { ...split.dataset, name: base.name, fingerprint, ...(modality ? { modality } : {}) };
  const splitSizes = Object.fromEntries(SPLIT_NAMES.filter((s) => dataset.splits[s]).map((s) => [s, dataset.splits[s]!.size]));
  const loadReport: LoadReport = { ...report, splitSizes, dataset: base.name, source: entry.source, split: split.method, fingerprint: { value: fingerprint, method: FINGERPRINT_METHOD } };
  const loadReportFile = await publishLoadReport(loadReport, ctx.resultsDir ?? ctx.cacheDir);
  const patientIdsAvailable = SPLIT_NAMES.some((s) => base.splits[s]?.patientIds);
  return { dataset, loadReport, loadReportFile, assignment: split.assignment, patientOverlap: split.patientOverlap, patientIdsAvailable };
}

/**
 * Open a suite's dataset entry with everything known about how it was loaded. `overlap: 'fail'`
 * (the default, for runs) stops on a patient in two splits; 'report' (data check) returns them.
 * `usableSplits` (runs) refuses an empty split or a one-class train/val split, naming the file,
 * before any extraction; the data tools (check, splits) describe such a dataset instead.
 */
export async function openSuiteDatasetDetailed(entry: DatasetEntry, ctx: DatasetContext, opts: { overlap?: 'fail' | 'report'; usableSplits?: boolean } = {}): Promise<OpenedSuiteDataset> {
  const opened = await openEntry(entry, ctx, opts.overlap ?? 'fail');
  if (opts.usableSplits) assertUsableSplits(opened.dataset);
  return opened;
}

async function openEntry(entry: DatasetEntry, ctx: DatasetContext, overlap: 'fail' | 'report'): Promise<OpenedSuiteDataset> {
  if (entry.source === 'registry') return openRegistryEntry(entry, ctx, overlap);
  if (entry.source === 'segmentation') {
    throw new MedprobeError(`dataset ${entry.name} is a segmentation dataset: the seg-* protocols open it (run/seg-datasets.ts), classification tools cannot`, { hint: 'run it in a suite with seg-linear / seg-unet / seg-fewshot' });
  }
  if (entry.source === 'folder' || entry.source === 'volumes') return openManifestEntry(entry, ctx, overlap);
  const dataset = await openMedmnistEntry(entry, ctx);
  const assignment = officialSplits(dataset);
  const patientOverlap = findPatientOverlap(assignment, patientLookup(dataset));
  return { dataset, assignment, patientOverlap, patientIdsAvailable: SPLIT_NAMES.some((s) => dataset.splits[s]?.patientIds) };
}

/** Open a suite's dataset entry for a run: MedMNIST file/cache/pull, an image folder, a volume list, or a checked registry folder. */
export async function openSuiteDataset(entry: DatasetEntry, ctx: DatasetContext): Promise<DatasetSource> {
  return (await openSuiteDatasetDetailed(entry, ctx, { usableSplits: true })).dataset;
}

/** Imaging modality for leaderboard filters, when the source or the registry knows it. */
export function datasetModality(ds: DatasetSource): string | undefined {
  return ds.modality ?? MEDMNIST_MODALITY[ds.name];
}
