import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fromRecords } from '../../folder/source.js';
import { splitsFromLists } from '../../splits/lists.js';
import { allItems, applySplits } from '../../splits/assignment.js';
import { systematicSplit } from '../../splits/systematic.js';
import { groupByPatient } from '../../splits/groups.js';
import { MedprobeError } from '../../../util/errors.js';
import { hashBytes, hashObject } from '../../../util/hash.js';
import { compactSplits, dropMissing, emptyReport, findIndexFile, readIndexCsv, type RegistryLoad, type RegistryLoadOptions } from '../load.js';

export const NIH_LABELS = ['Atelectasis', 'Cardiomegaly', 'Effusion', 'Infiltration', 'Mass', 'Nodule', 'Pneumonia', 'Pneumothorax', 'Consolidation', 'Edema', 'Emphysema', 'Fibrosis', 'Pleural_Thickening', 'Hernia'];
const NAME = 'nih-chestxray14';
/** The study trains on train_val_list and also validates on it; medprobe holds out every 10th patient of it instead. */
const VAL_EVERY = 10;

/** PNG name → path, over `images/` and `images_NNN/images/` (the twelve tarballs each unpack to an images/ folder). */
async function imageIndex(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const folders: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || !/^images/.test(e.name)) continue;
    const sub = path.join(dir, e.name);
    folders.push(sub);
    if (e.name !== 'images') {
      const nested = path.join(sub, 'images');
      if ((await fs.stat(nested).catch(() => null))?.isDirectory()) folders.push(nested);
    }
  }
  for (const f of folders.sort()) for (const n of await fs.readdir(f)) if (n.endsWith('.png') && !n.startsWith('._') && !out.has(n)) out.set(n, path.join(f, n));
  return out;
}

/**
 * NIH ChestX-ray14 as released: `Data_Entry_2017*.csv` (labels, patient ids), the official
 * `train_val_list.txt` / `test_list.txt` (patient-disjoint), and the PNGs under `images/` (or `images_NNN/images/`).
 */
export async function loadNihChestXray14(dir: string, opts: RegistryLoadOptions): Promise<RegistryLoad> {
  const root = path.resolve(dir);
  const csv = await findIndexFile(root, NAME, /^Data_Entry_2017.*\.csv$/, 'Data_Entry_2017*.csv (the label table)');
  const { bytes, records } = await readIndexCsv(csv, NAME);
  const lists = await splitsFromLists({ train: path.join(root, 'train_val_list.txt'), test: path.join(root, 'test_list.txt') });
  const splitOf = new Map<string, 'train' | 'test'>();
  for (const s of ['train', 'test'] as const) for (const id of lists[s] ?? []) splitOf.set(id, s);
  const report = emptyReport(csv);
  const columns = ['Image Index', 'Finding Labels', 'Patient ID'];
  const header = records.length > 0 ? Object.keys(records[0]) : [];
  const lacking = columns.filter((c) => !header.includes(c));
  if (lacking.length > 0) throw new MedprobeError(`${NAME}: ${csv} lacks column(s) ${lacking.map((c) => `'${c}'`).join(', ')}`, { file: csv, hint: `this is not the released Data_Entry_2017 table (its columns: ${header.join(', ')})` });

  const images = await imageIndex(root);
  const listed = records.map((r, i) => ({ r, line: i + 2 })).filter(({ r }) => splitOf.has(r['Image Index']));
  const unlisted = records.length - listed.length;
  const inCsv = new Set(records.map((r) => r['Image Index']));
  const notInCsv = [...splitOf.keys()].filter((id) => !inCsv.has(id)).length;
  report.rows = records.length;
  const present = await dropMissing(listed, ({ r }) => images.get(r['Image Index']) ?? path.join(root, 'images', r['Image Index']), { dataset: NAME, index: path.basename(csv), root, report, onError: opts.onError, lineOf: (e) => e.line });
  if (unlisted > 0) report.notes.push(`${unlisted} row(s) of ${path.basename(csv)} are in neither split list and are not used`);
  if (notInCsv > 0) report.notes.push(`the split lists name ${notInCsv} image(s) that ${path.basename(csv)} lacks (a partial label table)`);
  const rows = present.map(({ r }) => ({ image: path.relative(root, images.get(r['Image Index'])!).split(path.sep).join('/'), labels: r['Finding Labels'], patient: r['Patient ID'], split: splitOf.get(r['Image Index'])! }));
  if (rows.length === 0) throw new MedprobeError(`${NAME}: none of the ${listed.length} listed images of ${csv} is in ${root}/images*`, { file: root, hint: 'extract images_001…012.tar.gz into the dataset folder' });
  const src = await fromRecords(rows, ['image', 'labels', 'patient', 'split'], {
    config: { name: NAME, root, csv, delimiter: ',', imageColumn: 'image', patientColumn: 'patient', splitColumn: 'split', labels: { kind: 'pipe-list', column: 'labels', classes: NIH_LABELS, separator: '|', noFinding: 'No Finding' }, onError: opts.onError, verify: 'exists' },
    root,
    manifest: csv,
    manifestHash: hashObject({ csv: hashBytes(bytes), rows }),
    describe: (line) => `${csv}, image ${line - 1}`,
  });
  src.report.skipped.unshift(...report.skipped);
  src.report.rows = report.rows;
  src.report.notes = [...report.notes, ...src.report.notes.filter((n) => !n.startsWith('no split column'))];
  // Val: every VAL_EVERY-th patient of train_val, picked systematically (the official lists stay patient-disjoint).
  const trainItems = allItems(src).filter((it) => splitOf.get(path.posix.basename(it.id)) === 'train');
  const patients = groupByPatient(trainItems).length;
  const val = Math.round(patients / VAL_EVERY);
  const carved = systematicSplit(trainItems, { test: 0, val });
  const assignment = compactSplits({ train: carved.train, val: carved.val, test: src.splits.test ? [...src.splits.test.ids] : [] });
  const method = { official: { lists: ['train_val_list.txt', 'test_list.txt'] }, val: { systematic: { from: 'train_val_list.txt', patients, val, every: VAL_EVERY } } };
  return { dataset: applySplits(src, assignment), report: src.report, split: { method, assignment }, files: rows.map((r) => path.join(root, r.image)) };
}
