import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadNiftiPair } from '../../segmentation/nifti-pair.js';
import type { SegCard } from '../../segmentation/card.js';
import type { SplitItem } from '../../splits/assignment.js';
import { MedprobeError } from '../../../util/errors.js';
import { compactSplits, dropMissing, emptyReport, naturalCompare, studySystematicSplit, type RegistryLoadOptions } from '../load.js';
import { casesBySplit, type RegistrySegCase, type RegistrySegLoad, type RegistrySegLoader } from '../segmentation.js';

/**
 * The Medical Segmentation Decathlon layout, shared by MSD tasks and AMOS: `dataset.json` (labels,
 * modality, file lists) with `imagesTr/` + `labelsTr/` NIfTI pairs (AMOS adds `imagesVa/` + `labelsVa/`).
 * Only the pairs dataset.json lists are read, so the macOS `._*` files MSD tarballs carry are never
 * touched. Labels are named as dataset.json names them.
 */
export interface DecathlonSpec {
  name: string;
  modality: 'CT' | 'MRI';
  /**
   * The study's split: `patients` volumes in the release, `test` then `val` picked systematically
   * (np.arange(0, n, n/m).round()) over the training list in file-name order; `testFrom:
   * 'validation'` takes test from dataset.json's official `validation` list instead.
   */
  study: { patients: number; test: number; val: number; testFrom?: 'validation'; source: string };
  /** Training entries to leave out, with the reason (AMOS: its MRI scans; the study used CT). */
  exclude?: { test: (caseId: string) => boolean; reason: string };
}

interface Pair {
  /** The case name (`hippocampus_001`): unique in a release, so it names predictions and split-file entries. */
  id: string;
  image: string;
  label: string;
  line: number;
}

interface DatasetJson {
  labels: Record<string, string>;
  modality?: Record<string, string>;
  training: Array<{ image: string; label: string }>;
  validation?: Array<{ image: string; label: string }>;
}

async function readDatasetJson(root: string, name: string): Promise<{ json: DatasetJson; file: string }> {
  const file = path.join(root, 'dataset.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new MedprobeError(`${name}: dataset.json not found in ${root}`, { file, hint: `the release ships it at the top of the task folder; point dir at that folder (\`medprobe data doctor ${name} <dir>\` shows the layout)` });
  }
  let json: DatasetJson;
  try {
    json = JSON.parse(text) as DatasetJson;
  } catch (e) {
    throw new MedprobeError(`${name}: cannot parse ${file}: ${(e as Error).message}`, { file, hint: 'the file is truncated or corrupt; extract it from the archive again' });
  }
  const bad = (what: string): never => {
    throw new MedprobeError(`${name}: ${file} has no ${what}`, { file, hint: 'this is not the dataset.json of the release; extract it from the archive again' });
  };
  if (!json || typeof json.labels !== 'object' || json.labels === null) bad("'labels' object");
  if (!Array.isArray(json.training) || json.training.some((e) => typeof e?.image !== 'string' || typeof e?.label !== 'string')) bad("'training' list of {image, label}");
  return { json, file };
}

/** dataset.json's labels ({"0": "background", "1": "Anterior"}) as a card, in label-value order. */
export function decathlonCard(name: string, labels: Record<string, string>, file: string): SegCard {
  const classes = Object.entries(labels)
    .map(([k, v]) => ({ name: String(v), value: Number(k) }))
    .sort((a, b) => a.value - b.value);
  if (classes.length < 2 || classes[0].value !== 0 || classes.some((c) => !Number.isInteger(c.value) || c.value < 0 || c.value > 255)) {
    throw new MedprobeError(`${name}: the labels of ${file} must map 0 (background) and at least one class to names, with integer keys 0–255 (got ${JSON.stringify(labels)})`, { file, hint: 'extract dataset.json from the archive again' });
  }
  return { name, classes };
}

const caseIdOf = (file: string): string => path.basename(file).replace(/\.nii(\.gz)?$/i, '');

function pairs(root: string, list: Array<{ image: string; label: string }>): Pair[] {
  return list
    .map((e, i) => ({ image: path.resolve(root, e.image), label: path.resolve(root, e.label), line: i + 1 }))
    .filter((p) => !path.basename(p.image).startsWith('._'))
    .map((p) => ({ ...p, id: caseIdOf(p.image) }))
    .sort((a, b) => naturalCompare(a.id, b.id));
}

/** A loader for one MSD task (or AMOS) as released. */
export function decathlonLoader(spec: DecathlonSpec): RegistrySegLoader {
  return async (dir: string, opts: RegistryLoadOptions): Promise<RegistrySegLoad> => {
    const root = path.resolve(dir);
    const { json, file } = await readDatasetJson(root, spec.name);
    const card = decathlonCard(spec.name, json.labels, file);
    const stated = json.modality?.['0']?.toUpperCase().replace(/^MR$/, 'MRI');
    if (stated && stated !== spec.modality) {
      throw new MedprobeError(`${spec.name}: ${file} describes a ${stated} task ('${(json as { name?: string }).name ?? '?'}'), but ${spec.name} is ${spec.modality}`, { file, hint: `point dir at the ${spec.name} folder; \`medprobe data doctor\` lists the registry datasets` });
    }
    const report = emptyReport(file);
    const ctx = (index: string) => ({ dataset: spec.name, index, root, report, onError: opts.onError, lineOf: (p: Pair) => p.line });
    const present = async (list: Pair[], index: string): Promise<Pair[]> => dropMissing(await dropMissing(list, (p) => p.image, ctx(index)), (p) => p.label, ctx(index));

    let train = pairs(root, json.training);
    report.rows = train.length;
    if (spec.exclude) {
      const out = train.filter((p) => spec.exclude!.test(p.id));
      if (out.length > 0) report.notes.push(`${out.length} training case(s) left out: ${spec.exclude.reason}`);
      train = train.filter((p) => !spec.exclude!.test(p.id));
    }
    train = await present(train, 'dataset.json training');
    let test: Pair[] = [];
    if (spec.study.testFrom === 'validation') {
      if (!Array.isArray(json.validation)) throw new MedprobeError(`${spec.name}: ${file} has no 'validation' list (the study tests on the official validation set)`, { file, hint: 'use the release with imagesVa/ and labelsVa/ (AMOS22)' });
      let va = pairs(root, json.validation);
      report.rows += va.length;
      if (spec.exclude) va = va.filter((p) => !spec.exclude!.test(p.id));
      test = await present(va, 'dataset.json validation');
    }
    const all = [...train, ...test];
    if (all.length === 0) throw new MedprobeError(`${spec.name}: none of the ${report.rows} image/label pairs dataset.json lists are in ${root}`, { file: root, hint: 'extract the archive there (imagesTr/ and labelsTr/ beside dataset.json)' });
    report.used = all.length;

    const items = (ps: Pair[]): SplitItem[] => ps.map((p) => ({ id: p.id, patientId: p.id }));
    const { test: studyTest, val, patients } = spec.study;
    let split: RegistrySegLoad['split'];
    if (spec.study.testFrom === 'validation') {
      const s = studySystematicSplit(items(train), { patients, test: 0, val });
      split = { assignment: compactSplits({ ...s.assignment, test: test.map((p) => p.id) }), method: { test: 'the official validation list of dataset.json (imagesVa/labelsVa)', ...s.method, source: spec.study.source } };
    } else {
      const s = studySystematicSplit(items(train), { patients, test: studyTest, val });
      split = { assignment: s.assignment, method: { ...s.method, order: 'file names in natural order', source: spec.study.source } };
    }
    const cases: RegistrySegCase[] = all.map((p) => ({ id: p.id, patientId: p.id, files: [p.image, p.label], load: () => loadNiftiPair(p.image, p.label, { card, id: p.id }) }));
    const splits = casesBySplit(cases, split.assignment);
    for (const s of ['train', 'val', 'test'] as const) if (splits[s].length > 0) report.splitSizes[s] = splits[s].length;
    return {
      name: spec.name,
      dims: 3,
      modality: spec.modality,
      classes: card.classes.map((c) => c.name),
      values: card.classes.map((c) => c.value),
      intensity: spec.modality === 'CT' ? 'ct' : 'mri',
      splits,
      report,
      split,
      files: all.flatMap((p) => [p.image, p.label]),
    };
  };
}
