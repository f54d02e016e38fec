import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Image2D } from '../../types.js';
import { readImageFile } from '../../folder/decode.js';
import type { SegCase2D } from '../../segmentation/types.js';
import { MedprobeError } from '../../../util/errors.js';
import { dropMissing, emptyReport, naturalCompare, studySystematicSplit, type RegistryLoadOptions } from '../load.js';
import { casesBySplit, type RegistrySegCase, type RegistrySegLoad } from '../segmentation.js';

const NAME = 'montgomery';
export const MONTGOMERY_CLASSES = ['background', 'left lung', 'right lung'];
/**
 * The release has no official split and the study's loader lists all 138 images in train, val and
 * test alike (its mc.py), which would score on training images; so medprobe applies the study's
 * rule for sets without an official split — systematic sampling by patient — with 40 test and 20
 * val patients (about 30% and 15%), and says so in the split method.
 */
const SPLIT = { patients: 138, test: 40, val: 20 };

interface Entry {
  id: string;
  patientId: string;
  image: string;
  left: string;
  right: string;
}

/** Any non-zero pixel of a mask file is inside (the release stores 0 / 255). */
function inside(mask: Image2D, file: string, image: Image2D, imageFile: string): Uint8Array {
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new MedprobeError(`${NAME}: mask ${file} is ${mask.width}×${mask.height} but X-ray ${imageFile} is ${image.width}×${image.height}`, {
      file,
      hint: 'the mask belongs to another image or was resized; extract ManualMask/ from the release again (or drop the case with onError: skip)',
    });
  }
  const out = new Uint8Array(mask.width * mask.height);
  for (let i = 0; i < out.length; i++) out[i] = mask.data[i * mask.channels] > 0 ? 1 : 0;
  return out;
}

/**
 * One Montgomery case: the X-ray as stored (8- or 16-bit grey) and ManualMask/leftMask +
 * rightMask merged into one label map, 0 background, 1 left lung, 2 right lung (the patient's
 * left and right, as the release names the folders). A pixel in both masks is refused: the
 * merged label would be a guess.
 */
export async function readMontgomeryCase(e: Pick<Entry, 'id' | 'image' | 'left' | 'right'>): Promise<SegCase2D> {
  const image = await readImageFile(e.image);
  const left = inside(await readImageFile(e.left), e.left, image, e.image);
  const right = inside(await readImageFile(e.right), e.right, image, e.image);
  const mask = new Uint8Array(left.length);
  let both = 0;
  for (let i = 0; i < mask.length; i++) {
    if (left[i] && right[i]) both++;
    mask[i] = left[i] ? 1 : right[i] ? 2 : 0;
  }
  if (both > 0) {
    throw new MedprobeError(`${NAME}: ${both} pixel(s) are in both ${e.left} and ${e.right}`, { file: e.right, hint: 'the left and right lung masks of one X-ray must not overlap; extract them from the release again' });
  }
  return { id: e.id, image, mask, files: { image: e.image, mask: e.left } };
}

/**
 * Montgomery County chest X-rays as released (`CXR_png/MCUCXR_<nnnn>_<0|1>.png`, masks of the
 * same name under `ManualMask/leftMask/` and `rightMask/`). One X-ray per patient.
 */
export async function loadMontgomery(dir: string, opts: RegistryLoadOptions): Promise<RegistrySegLoad> {
  const root = path.resolve(dir);
  let names: string[];
  try {
    names = (await fs.readdir(path.join(root, 'CXR_png'))).filter((n) => /\.png$/i.test(n) && !n.startsWith('.')).sort(naturalCompare);
  } catch {
    throw new MedprobeError(`${NAME}: no CXR_png/ folder in ${root}`, { file: root, hint: `point dir at the unzipped MontgomerySet/ folder (\`medprobe data doctor ${NAME} <dir>\` shows the layout)` });
  }
  if (names.length === 0) throw new MedprobeError(`${NAME}: CXR_png/ in ${root} holds no PNG`, { file: path.join(root, 'CXR_png'), hint: 'extract the release there again' });
  const report = emptyReport(path.join(root, 'CXR_png'));
  report.rows = names.length;
  let entries: Entry[] = names.map((n) => ({
    id: n.replace(/\.png$/i, ''),
    patientId: n.replace(/(_[01])?\.png$/i, ''),
    image: path.join(root, 'CXR_png', n),
    left: path.join(root, 'ManualMask', 'leftMask', n),
    right: path.join(root, 'ManualMask', 'rightMask', n),
  }));
  const ctx = { dataset: NAME, index: 'CXR_png/ (each X-ray needs a left and a right mask)', root, report, onError: opts.onError };
  entries = await dropMissing(entries, (e) => e.left, ctx);
  entries = await dropMissing(entries, (e) => e.right, ctx);
  if (entries.length === 0) throw new MedprobeError(`${NAME}: none of the ${names.length} X-rays in ${root} has both lung masks`, { file: root, hint: 'extract ManualMask/leftMask and rightMask from the release' });
  report.used = entries.length;
  const s = studySystematicSplit(entries.map((e) => ({ id: e.id, patientId: e.patientId })), SPLIT);
  const split = { assignment: s.assignment, method: { ...s.method, order: 'file names in natural order', source: "medprobe's choice (see docs/datasets.md): the release has no split and the study's loader uses all 138 images in every split" } };
  const cases: RegistrySegCase[] = entries.map((e) => ({ id: e.id, patientId: e.patientId, files: [e.image, e.left, e.right], load: () => readMontgomeryCase(e) }));
  const splits = casesBySplit(cases, split.assignment);
  for (const k of ['train', 'val', 'test'] as const) if (splits[k].length > 0) report.splitSizes[k] = splits[k].length;
  return { name: NAME, dims: 2, modality: 'X-ray', classes: MONTGOMERY_CLASSES, values: [0, 1, 2], splits, report, split, files: entries.flatMap((e) => [e.image, e.left, e.right]) };
}
