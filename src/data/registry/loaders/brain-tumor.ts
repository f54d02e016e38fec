import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DatasetSource, Image2D, Sample, SplitName, SplitSource } from '../../types.js';
import { SPLIT_NAMES } from '../../types.js';
import { openMat, type MatFile } from '../../mat/read.js';
import { MedprobeError, isMedprobeError } from '../../../util/errors.js';
import { hashObject } from '../../../util/hash.js';
import { createProgress } from '../../../util/progress.js';
import { emptyReport, naturalCompare, studySystematicSplit, type RegistryLoad, type RegistryLoadOptions } from '../load.js';

export const BRAIN_TUMOR_LABELS = ['meningioma', 'glioma', 'pituitary'];
const NAME = 'brain-tumor';
const RELEASE_FILES = 3064;
/** The study: 70 test and 50 val patients of 233, systematically. */
const STUDY_SPLIT = { patients: 233, test: 70, val: 50 };

/** One slice of the figshare release: `cjdata.image` in MATLAB orientation, label 1–3 → 0–2, patient id, tumour mask. */
export interface BrainTumorSlice {
  image: Image2D;
  /** 0 meningioma, 1 glioma, 2 pituitary (the file stores 1, 2, 3). */
  label: number;
  pid: string;
  /** Row-major like the image, 1 inside the tumour. */
  tumorMask: Uint8Array;
}

function withMat<T>(file: string, fn: (m: MatFile) => T): Promise<T> {
  return openMat(file).then((m) => {
    try {
      return fn(m);
    } finally {
      m.close();
    }
  });
}

function requireCjdata(m: MatFile): void {
  if (!m.has('cjdata')) throw new MedprobeError(`${m.file} has no 'cjdata' struct (has: ${m.keys().join(', ') || 'nothing'})`, { file: m.file, hint: 'this is not a file of the figshare brain tumour release (1.mat … 3064.mat); remove it or download it again' });
}

function readLabel(m: MatFile): { label: number; pid: string } {
  requireCjdata(m);
  const raw = m.scalar('cjdata/label');
  if (![1, 2, 3].includes(raw)) throw new MedprobeError(`${m.file}: cjdata.label is ${raw}, expected 1, 2 or 3`, { file: m.file, hint: 'the file is corrupt or not from this release' });
  return { label: raw - 1, pid: m.text('cjdata/PID').trim() };
}

/** Read one .mat slice: image (int16, MATLAB orientation), label, PID and tumour mask. */
export async function readBrainTumorSlice(file: string): Promise<BrainTumorSlice> {
  return withMat(file, (m) => {
    const { label, pid } = readLabel(m);
    const im = m.array('cjdata/image');
    if (im.dims.length !== 2) throw new MedprobeError(`${file}: cjdata.image has ${im.dims.length} dimensions, expected 2`, { file, hint: 'the file is corrupt or not from this release' });
    const [height, width] = im.dims;
    const data = im.data instanceof Int16Array ? im.data : Int16Array.from(im.data);
    const mask = m.has('cjdata/tumorMask') ? m.array('cjdata/tumorMask') : null;
    if (mask && (mask.dims[0] !== height || mask.dims[1] !== width)) throw new MedprobeError(`${file}: tumorMask is ${mask.dims.join('x')} but the image is ${height}x${width}`, { file, hint: 'the file is corrupt or not from this release; extract it from the release archive again' });
    return { image: { kind: '2d', width, height, channels: 1, data }, label, pid, tumorMask: mask ? Uint8Array.from(mask.data) : new Uint8Array(0) };
  });
}

/** Every `<n>.mat` under dir (the four zips unpack to brainTumorDataPublic_* folders, or flat), in number order. */
async function matFiles(root: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  } catch {
    throw new MedprobeError(`${NAME}: ${root} is not a folder`, { file: root, hint: `download it and unzip the four brainTumorDataPublic_*.zip there; \`medprobe data doctor ${NAME} ${root}\` shows the layout` });
  }
  return entries
    .filter((e) => e.isFile() && /^\d+\.mat$/.test(e.name))
    .map((e) => path.join((e as unknown as { parentPath: string }).parentPath, e.name))
    .sort((a, b) => naturalCompare(path.basename(a), path.basename(b)) || naturalCompare(a, b));
}

/**
 * Brain tumour (figshare 1512427) as released: one MATLAB v7.3 .mat per slice. Labels and patient
 * ids are read from every file at open (small reads); images are decoded on demand. Split by
 * patient as the study does: patients in file order, 70 test then 50 val systematically.
 */
export async function loadBrainTumor(dir: string, opts: RegistryLoadOptions): Promise<RegistryLoad> {
  const root = path.resolve(dir);
  const files = await matFiles(root);
  const report = emptyReport(root);
  report.rows = files.length;
  if (files.length === 0) throw new MedprobeError(`${NAME}: no <n>.mat files under ${root}`, { file: root, hint: 'unzip the four brainTumorDataPublic_*.zip of figshare 1512427 there' });
  if (files.length < RELEASE_FILES) report.notes.push(`${files.length} of the ${RELEASE_FILES} .mat files of the release are present`);
  const entries: Array<{ id: string; file: string; label: number; pid: string }> = [];
  const bar = createProgress('reading .mat labels', files.length);
  try {
    for (const [i, file] of files.entries()) {
      try {
        const { label, pid } = await withMat(file, readLabel);
        entries.push({ id: path.relative(root, file).split(path.sep).join('/'), file, label, pid });
      } catch (e) {
        if (opts.onError === 'stop' || !isMedprobeError(e)) throw e;
        report.skipped.push({ line: i + 1, file: path.relative(root, file), reason: e.message });
      }
      bar.tick();
    }
  } finally {
    bar.stop();
  }
  if (entries.length === 0) throw new MedprobeError(`${NAME}: none of the ${files.length} .mat files under ${root} could be read`, { file: root, hint: 'see the load report; download the release again' });
  report.used = entries.length;
  const split = studySystematicSplit(entries.map((e) => ({ id: e.id, patientId: e.pid })), STUDY_SPLIT);
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
      patientIds: members.map((m) => m.pid),
      async get(i: number): Promise<Sample> {
        const m = members[i];
        if (!m) throw new RangeError(`index ${i} outside split ${name} of size ${members.length}`);
        const s = await readBrainTumorSlice(m.file);
        return { id: m.id, image: s.image, label: Int32Array.of(s.label), patientId: s.pid };
      },
    };
  }
  const dataset: DatasetSource = {
    name: NAME,
    task: { type: 'multi-class', labels: BRAIN_TUMOR_LABELS },
    dims: 2,
    modality: 'MRI',
    fingerprint: hashObject(entries.map((e) => [e.id, e.label, e.pid])),
    files: [root],
    splits,
  };
  return { dataset, report, split, files: entries.map((e) => e.file) };
}
