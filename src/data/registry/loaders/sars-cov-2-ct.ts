import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DatasetSource, Image2D, Sample, SplitName, SplitSource, Volume3D } from '../../types.js';
import { SPLIT_NAMES } from '../../types.js';
import { readImageFile, sniffImageFormat } from '../../folder/decode.js';
import { MedprobeError } from '../../../util/errors.js';
import { hashObject } from '../../../util/hash.js';
import { emptyReport, naturalCompare, studySystematicSplit, type RegistryLoad, type RegistryLoadOptions } from '../load.js';

export const SARS_LABELS = ['Negative', 'Positive'];
const NAME = 'sars-cov-2-ct';
/** The study's 210-patient release: 70 test patients, then 50 val of the remaining 140. */
const STUDY_SPLIT = { patients: 210, test: 70, val: 50 };

/**
 * How the two public releases map to the study:
 * - the 210-patient release (`Covid/`, `Healthy/`, `Others/`, one folder of PNG slices per patient)
 *   is what the study used: each patient folder is one volume (slices in natural name order),
 *   Positive for Covid/, Negative for Healthy/ and Others/, split 70 / 50 / 90 patients systematically
 *   over Covid, Healthy, Others in that order (folder names in natural order; the study's code
 *   used os.listdir order, which is not defined);
 * - the first release (`COVID/`, `non-COVID/`, 2,482 PNG slices named `Covid (1).png`) has no
 *   patient or volume ids, so slices cannot be grouped into volumes: each slice is a 2D sample,
 *   and the split (the study's fractions, by slice) cannot keep a patient's slices together.
 */
const PATIENT_RELEASE: Array<[string, number]> = [['Covid', 1], ['Healthy', 0], ['Others', 0]];
const SLICE_RELEASE: Array<[string, number]> = [['COVID', 1], ['non-COVID', 0]];

async function listDir(dir: string): Promise<{ dirs: string[]; files: string[] } | null> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    const visible = entries.filter((e) => !e.name.startsWith('.'));
    return { dirs: visible.filter((e) => e.isDirectory()).map((e) => e.name).sort(naturalCompare), files: visible.filter((e) => e.isFile() && /\.png$/i.test(e.name)).map((e) => e.name).sort(naturalCompare) };
  } catch {
    return null;
  }
}

interface Entry {
  id: string;
  label: number;
  /** One PNG (slice release) or the volume's slices in order (patient release). */
  files: string[];
}

/** Null when the file starts like a PNG/JPEG, else why not (an empty or truncated download, say). */
async function headerProblem(file: string): Promise<string | null> {
  try {
    const fh = await fs.open(file, 'r');
    try {
      const head = new Uint8Array(8);
      const { bytesRead } = await fh.read(head, 0, 8, 0);
      return sniffImageFormat(head.subarray(0, bytesRead)) ? null : bytesRead === 0 ? 'empty file' : 'not a PNG or JPEG file';
    } finally {
      await fh.close();
    }
  } catch (e) {
    return (e as Error).message;
  }
}

async function gray(file: string): Promise<Image2D> {
  const im = await readImageFile(file);
  if (im.channels === 1) return im;
  const out = new (im.data.constructor as { new (n: number): Image2D['data'] })(im.width * im.height);
  for (let i = 0; i < out.length; i++) out[i] = im.data[i * im.channels]; // CT slices saved as grey RGB(A): R = G = B
  return { ...im, channels: 1, data: out };
}

/** Stack a patient's slices into one volume (all slices must share one size). */
async function stack(files: string[]): Promise<Volume3D> {
  const slices = await Promise.all(files.map(gray));
  const { width, height } = slices[0];
  const bad = slices.findIndex((s) => s.width !== width || s.height !== height);
  if (bad >= 0) throw new MedprobeError(`${files[bad]} is ${slices[bad].width}x${slices[bad].height} but ${files[0]} is ${width}x${height}`, { file: files[bad], hint: "one patient's slices must share one size to form a volume" });
  const data = new Uint8Array(width * height * slices.length);
  slices.forEach((s, z) => data.set(s.data, z * width * height));
  return { kind: '3d', depth: slices.length, height, width, data };
}

export async function loadSarsCov2Ct(dir: string, opts: RegistryLoadOptions): Promise<RegistryLoad> {
  const root = path.resolve(dir);
  const top = await listDir(root);
  if (!top) throw new MedprobeError(`${NAME}: ${root} is not a folder`, { file: root, hint: `download it and extract it there; \`medprobe data doctor ${NAME} ${root}\` shows the layout` });
  const perPatient = PATIENT_RELEASE.some(([d]) => top.dirs.includes(d));
  const classes = perPatient ? PATIENT_RELEASE : SLICE_RELEASE;
  if (!classes.some(([d]) => top.dirs.includes(d))) {
    throw new MedprobeError(`${NAME}: ${root} has neither Covid/ Healthy/ Others/ (210-patient release) nor COVID/ non-COVID/ (slice release) (found: ${top.dirs.join(', ') || 'no folders'})`, { file: root, hint: 'point dir at the folder that holds the class folders' });
  }
  const report = emptyReport(root);
  const entries: Entry[] = [];
  for (const [cls, label] of classes) {
    const listing = await listDir(path.join(root, cls));
    if (!listing) {
      report.notes.push(`${cls}/ is missing: no ${label ? 'positive' : 'negative'} cases from it`);
      continue;
    }
    if (perPatient) {
      for (const p of listing.dirs) {
        const slices = (await listDir(path.join(root, cls, p)))!.files;
        if (slices.length === 0) {
          if (opts.onError === 'stop') throw new MedprobeError(`${NAME}: patient folder ${cls}/${p} holds no PNG slices`, { file: path.join(root, cls, p), hint: 'finish the download, or set onError: skip' });
          report.skipped.push({ line: entries.length + 1, file: `${cls}/${p}`, reason: 'no PNG slices' });
          continue;
        }
        entries.push({ id: `${cls}/${p}`, label, files: slices.map((f) => path.join(root, cls, p, f)) });
      }
    } else for (const f of listing.files) entries.push({ id: `${cls}/${f}`, label, files: [path.join(root, cls, f)] });
  }
  // Header check of every slice at open, so a bad file fails now (or is skipped) rather than mid-extraction.
  const problems = await Promise.all(entries.map(async (e) => (await Promise.all(e.files.map(async (f) => [f, await headerProblem(f)] as const))).find(([, p]) => p !== null)));
  const bad = entries.filter((_, i) => problems[i]);
  if (bad.length > 0 && opts.onError === 'stop') {
    const [file, why] = problems.find((p) => p)!;
    throw new MedprobeError(`${NAME}: ${file}: ${why} (${bad.length} bad case(s) in all)`, { file, hint: 'download the file again, or set onError: skip to leave such cases out (the load report lists them)' });
  }
  problems.forEach((p, i) => p && report.skipped.push({ line: i + 1, file: path.relative(root, p[0]), reason: p[1]! }));
  entries.splice(0, entries.length, ...entries.filter((_, i) => !problems[i]));
  report.rows = entries.length + report.skipped.length;
  report.used = entries.length;
  if (entries.length === 0) throw new MedprobeError(`${NAME}: no PNG slices under ${root}`, { file: root, hint: 'extract the release so that its class folders sit in dir' });
  if (!perPatient) report.notes.push('slice release (COVID/, non-COVID/): no patient or volume ids in the file names, so every slice is a 2D sample and the split is by slice; slices of one patient can fall into different splits (see docs/datasets.md)');
  const split = studySystematicSplit(entries.map((e) => ({ id: e.id })), STUDY_SPLIT);
  const byId = new Map(entries.map((e) => [e.id, e]));
  const splits: Partial<Record<SplitName, SplitSource>> = {};
  for (const name of SPLIT_NAMES) {
    const members = (split.assignment[name] ?? []).map((id) => byId.get(id)!);
    if (members.length === 0) continue;
    report.splitSizes[name] = members.length;
    splits[name] = {
      size: members.length,
      labels: Int32Array.from(members.map((m) => m.label)),
      ids: members.map((m) => m.id),
      ...(perPatient ? { patientIds: members.map((m) => m.id) } : {}),
      async get(i: number): Promise<Sample> {
        const m = members[i];
        if (!m) throw new RangeError(`index ${i} outside split ${name} of size ${members.length}`);
        return { id: m.id, image: perPatient ? await stack(m.files) : await gray(m.files[0]), label: Int32Array.of(m.label), ...(perPatient ? { patientId: m.id } : {}) };
      },
    };
  }
  const dataset: DatasetSource = { name: NAME, task: { type: 'binary', labels: SARS_LABELS }, dims: perPatient ? 3 : 2, modality: 'CT', fingerprint: hashObject(entries.map((e) => [e.id, e.label, e.files.length])), files: [root], splits };
  return { dataset, report, split: { ...split, method: { ...split.method, release: perPatient ? '210 patients (one volume per patient folder)' : 'slices (COVID/, non-COVID/; no patient ids)' } }, files: entries.flatMap((e) => e.files) };
}
