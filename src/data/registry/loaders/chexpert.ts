import path from 'node:path';
import { fromRecords } from '../../folder/source.js';
import { allItems, applySplits } from '../../splits/assignment.js';
import { systematicSplit } from '../../splits/systematic.js';
import { groupByPatient } from '../../splits/groups.js';
import { MedprobeError } from '../../../util/errors.js';
import { hashBytes, hashObject } from '../../../util/hash.js';
import { compactSplits, dropMissing, emptyReport, readIndexCsv, type RegistryLoad, type RegistryLoadOptions } from '../load.js';

/** The five CheXpert competition findings the study scores. */
export const CHEXPERT_LABELS = ['Cardiomegaly', 'Edema', 'Consolidation', 'Atelectasis', 'Pleural Effusion'];
const NAME = 'chexpert';
/** The study's train: frontal AP images (161,590 in v1.0), of which 10,000 are held out for val. */
const STUDY_TRAIN_IMAGES = 161_590;
const STUDY_VAL_IMAGES = 10_000;

/**
 * CSV `Path` values start with the release folder (`CheXpert-v1.0-small/train/patient00001/…` or
 * `CheXpert-v1.0/…`); the files sit under `<dir>/train/…` once that folder is the dataset folder.
 */
export function chexpertRelativePath(p: string): string {
  const parts = p.replace(/\\/g, '/').split('/');
  return (/^CheXpert/i.test(parts[0]) ? parts.slice(1) : parts).join('/');
}

/**
 * CheXpert (full or `-small`) as released: `train.csv`, `valid.csv`, `train/`, `valid/`. Frontal
 * views only, as in the study; train keeps AP views (the study's choice); test is the official
 * valid set; val is a systematic patient sample of train of the study's size.
 */
export async function loadChexpert(dir: string, opts: RegistryLoadOptions): Promise<RegistryLoad> {
  const root = path.resolve(dir);
  const uncertain = opts.uncertain ?? 'zero';
  const report = emptyReport(path.join(root, 'train.csv'));
  const rows: Array<Record<string, string>> = [];
  const hashes: string[] = [];
  for (const [split, csvName] of [['train', 'train.csv'], ['test', 'valid.csv']] as const) {
    const csv = path.join(root, csvName);
    const { bytes, records } = await readIndexCsv(csv, NAME);
    hashes.push(hashBytes(bytes));
    const header = records.length > 0 ? Object.keys(records[0]) : [];
    const lacking = ['Path', 'Frontal/Lateral', 'AP/PA', ...CHEXPERT_LABELS].filter((c) => !header.includes(c));
    if (lacking.length > 0) throw new MedprobeError(`${NAME}: ${csv} lacks column(s) ${lacking.map((c) => `'${c}'`).join(', ')}`, { file: csv, hint: `this is not a CheXpert v1.0 label file (its columns: ${header.join(', ')})` });
    report.rows += records.length;
    const kept = records.map((r, i) => ({ r, line: i + 2 })).filter(({ r }) => r['Frontal/Lateral'] === 'Frontal' && (split === 'test' || r['AP/PA'] === 'AP'));
    report.notes.push(`${csvName}: ${kept.length} of ${records.length} row(s) are frontal${split === 'train' ? ' AP' : ''} views (the study's selection)`);
    const present = await dropMissing(kept, ({ r }) => path.join(root, chexpertRelativePath(r.Path)), { dataset: NAME, index: csvName, root, report, onError: opts.onError, lineOf: (e) => e.line });
    for (const { r } of present) rows.push({ ...r, image: chexpertRelativePath(r.Path), split });
  }
  if (rows.length === 0) throw new MedprobeError(`${NAME}: no frontal image listed in train.csv / valid.csv is in ${root}`, { file: root, hint: 'extract the release so that train/ and valid/ sit beside the CSVs' });
  const src = await fromRecords(rows, Object.keys(rows[0]), {
    config: { name: NAME, root, csv: 'train.csv + valid.csv', delimiter: ',', imageColumn: 'image', patientPattern: '(patient\\d+)', splitColumn: 'split', labels: { kind: 'multi-columns', columns: CHEXPERT_LABELS, uncertain, blank: 'zero' }, onError: opts.onError, verify: 'exists' },
    root,
    manifest: path.join(root, 'train.csv'),
    manifestHash: hashObject(hashes),
    describe: (line) => `${NAME} frontal entry ${line - 1}`,
  });
  src.report.skipped.unshift(...report.skipped);
  src.report.rows = report.rows;
  src.report.notes = [...report.notes, `uncertain (-1) findings: ${uncertain}; blank: zero`, ...src.report.notes.filter((n) => !n.startsWith('no split column'))];
  const trainIds = new Set(src.splits.train?.ids ?? []);
  const trainItems = allItems(src).filter((it) => trainIds.has(it.id));
  const patients = groupByPatient(trainItems).length;
  const val = Math.round((patients * STUDY_VAL_IMAGES) / STUDY_TRAIN_IMAGES);
  const carved = systematicSplit(trainItems, { test: 0, val });
  const assignment = compactSplits({ train: carved.train, val: carved.val, test: src.splits.test ? [...src.splits.test.ids] : [] });
  const method = { official: { test: 'valid.csv (frontal)' }, val: { systematic: { from: 'train.csv (frontal AP)', patients, val, fraction: `${STUDY_VAL_IMAGES}/${STUDY_TRAIN_IMAGES} as in the study, by patient instead of by image` } }, uncertain };
  return { dataset: applySplits(src, assignment), report: src.report, split: { method, assignment }, files: rows.map((r) => path.join(root, r.image)) };
}
