/**
 * Tiny copies of the study's datasets in their exact official layouts (file names, CSV headers,
 * folder nesting, MATLAB v7.3 files), written from code so the core suite needs no real data.
 * Pixels carry the label (brighter centre for positives) so protocols have something to find.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { createRng } from '../../src/util/random.js';
import { matDouble, matText, matVar, writeMatV73 } from './mat-fixture.js';
import { writeNifti } from '../../src/data/nifti/write.js';

function pixels(width: number, height: number, bright: boolean, seed: number): Uint8Array {
  const rng = createRng(seed);
  const px = new Uint8Array(width * height);
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++) {
      const centre = (r - height / 2) ** 2 + (c - width / 2) ** 2 < (Math.min(width, height) / 3) ** 2;
      px[r * width + c] = Math.max(0, Math.min(255, (bright && centre ? 190 : 50) + Math.round((rng.next() - 0.5) * 60)));
    }
  return px;
}

export function grayPng(width: number, height: number, bright: boolean, seed: number): Buffer {
  return PNG.sync.write({ width, height, data: Buffer.from(pixels(width, height, bright, seed)) } as PNG, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** CT slices in the SARS-CoV-2 release are grey pixels saved as RGBA PNGs. */
export function rgbaPng(width: number, height: number, bright: boolean, seed: number): Buffer {
  const g = pixels(width, height, bright, seed);
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < g.length; i++) data.set([g[i], g[i], g[i], 255], i * 4);
  return PNG.sync.write({ width, height, data } as PNG);
}

function grayJpeg(width: number, height: number, bright: boolean, seed: number): Buffer {
  const g = pixels(width, height, bright, seed);
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < g.length; i++) data.set([g[i], g[i], g[i], 255], i * 4);
  return jpeg.encode({ width, height, data }, 95).data;
}

async function write(file: string, content: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
}

const NIH_HEADER = 'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],';
const NIH_FINDINGS = ['Cardiomegaly', 'No Finding', 'Effusion|Infiltration', 'No Finding', 'Hernia'];

/** NIH ChestX-ray14: Data_Entry_2017_v2020.csv, train_val_list.txt, test_list.txt, images/. Patients 1–`patients`, 2 images each; every 4th patient is in the test list. */
export async function writeNihFixture(dir: string, patients = 20): Promise<{ rows: string[]; testIds: string[] }> {
  const rows: string[] = [];
  const trainVal: string[] = [];
  const test: string[] = [];
  for (let p = 1; p <= patients; p++) {
    for (let k = 0; k < 2; k++) {
      const name = `${String(p).padStart(8, '0')}_${String(k).padStart(3, '0')}.png`;
      const finding = NIH_FINDINGS[(p + k) % NIH_FINDINGS.length];
      rows.push(`${name},${finding},${k},${String(p).padStart(8, '0')},0${40 + p}Y,M,PA,2500,2048,0.143,0.143`);
      (p % 4 === 0 ? test : trainVal).push(name);
      await write(path.join(dir, 'images', name), grayPng(32, 32, finding !== 'No Finding', p * 10 + k));
    }
  }
  await write(path.join(dir, 'Data_Entry_2017_v2020.csv'), `${NIH_HEADER}\n${rows.join('\n')}\n`);
  await write(path.join(dir, 'train_val_list.txt'), `${trainVal.join('\n')}\n`);
  await write(path.join(dir, 'test_list.txt'), `${test.join('\n')}\n`);
  return { rows, testIds: test };
}

const CHEXPERT_HEADER = 'Path,Sex,Age,Frontal/Lateral,AP/PA,No Finding,Enlarged Cardiomediastinum,Cardiomegaly,Lung Opacity,Lung Lesion,Edema,Consolidation,Pneumonia,Atelectasis,Pneumothorax,Pleural Effusion,Pleural Other,Fracture,Support Devices';

/**
 * CheXpert-v1.0-small unpacked: `<dir>/train.csv`, `valid.csv`, `train/patientNNNNN/study1/view1_frontal.jpg`
 * (+ a lateral view), CSV paths prefixed with the release folder. Cells use 1.0 / 0.0 / -1.0 / blank.
 */
export async function writeChexpertFixture(dir: string, trainPatients = 16, validPatients = 6): Promise<void> {
  const cells = (p: number): string => {
    const v = (j: number): string => ['1.0', '0.0', '-1.0', '', '0.0'][(p + j) % 5];
    return `,${v(0)},,${v(1)},,${v(2)},${v(3)},,${v(4)},,0.0,,,`; // No Finding … Support Devices, 14 cells
  };
  for (const [csv, folder, n, offset] of [['train.csv', 'train', trainPatients, 1], ['valid.csv', 'valid', validPatients, 64541]] as const) {
    const lines = [CHEXPERT_HEADER];
    for (let i = 0; i < n; i++) {
      const p = offset + i;
      const pid = `patient${String(p).padStart(5, '0')}`;
      const ap = folder === 'valid' || i % 4 !== 3 ? 'AP' : 'PA';
      const positive = (p + 0) % 5 === 0 || (p + 1) % 5 === 0;
      for (const [view, fl, appa] of [['view1_frontal.jpg', 'Frontal', ap], ['view2_lateral.jpg', 'Lateral', '']] as const) {
        const rel = `${folder}/${pid}/study1/${view}`;
        lines.push(`CheXpert-v1.0-small/${rel},Female,${50 + i},${fl},${appa}${cells(p)}`);
        await write(path.join(dir, rel), grayJpeg(32, 32, positive, p));
      }
    }
    await write(path.join(dir, csv), `${lines.join('\n')}\n`);
  }
}

/**
 * Brain tumour (figshare): `brainTumorDataPublic_1-766/<n>.mat`, MATLAB v7.3 with cjdata.{image,label,PID,tumorBorder,tumorMask}.
 * Images are `height`×`width` int16 (non-square so a missing transpose shows); patient k owns files 3k+1…3k+3.
 */
export async function writeBrainTumorFixture(dir: string, patients = 10, height = 24, width = 32): Promise<void> {
  for (let n = 1; n <= patients * 3; n++) {
    const pid = String(100000 + Math.floor((n - 1) / 3));
    const label = 1 + (Math.floor((n - 1) / 3) % 3);
    const g = pixels(width, height, label !== 1, n);
    const image = Int16Array.from(g, (v, i) => v * 4 + (i % width)); // a column ramp: orientation is visible
    const mask = Uint8Array.from(g, (v) => (v > 120 ? 1 : 0));
    await writeMatV73(path.join(dir, 'brainTumorDataPublic_1-766', `${n}.mat`), {
      'cjdata/image': matVar([height, width], image, 'int16'),
      'cjdata/label': matDouble(label),
      'cjdata/PID': matText(pid),
      'cjdata/tumorBorder': matVar([1, 4], Float64Array.of(3, 4, 5, 6), 'double'),
      'cjdata/tumorMask': matVar([height, width], mask, 'logical'),
    });
  }
}

/** SARS-CoV-2 CT, first release: `COVID/Covid (n).png`, `non-COVID/Non-Covid (n).png`, slices of varying size. */
export async function writeSarsSliceFixture(dir: string, perClass = 12): Promise<void> {
  for (let n = 1; n <= perClass; n++) {
    await write(path.join(dir, 'COVID', `Covid (${n}).png`), rgbaPng(30 + (n % 3), 28, true, n));
    await write(path.join(dir, 'non-COVID', `Non-Covid (${n}).png`), rgbaPng(30, 28 + (n % 2), false, 100 + n));
  }
}

/** SARS-CoV-2 CT, 210-patient release: `Covid/<patient>/<k>.png`, `Healthy/…`, `Others/…`. */
export async function writeSarsPatientFixture(dir: string, perClass = 6, slices = 3): Promise<void> {
  for (const [cls, bright] of [['Covid', true], ['Healthy', false], ['Others', false]] as const) {
    for (let p = 1; p <= perClass; p++) for (let k = 1; k <= slices; k++) await write(path.join(dir, cls, `${cls.toLowerCase()}-${p}`, `${k}.png`), rgbaPng(24, 24, bright, p * 10 + k));
  }
}

/** A small labelled volume: intensity ramp plus a bright labelled box (`labels` = label values used). */
function labelledVolume(w: number, h: number, d: number, seed: number, values: number[], ct: boolean): { image: Int16Array | Float32Array; label: Uint8Array } {
  const rng = createRng(seed);
  const n = w * h * d;
  const image = ct ? new Int16Array(n) : new Float32Array(n);
  const label = new Uint8Array(n);
  for (let z = 0; z < d; z++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = x + w * (y + h * z);
        const k = values.length > 1 && x >= 2 && x < w - 2 && y >= 2 && y < h - 2 ? values[1 + ((x + z) % (values.length - 1))] : 0;
        label[i] = k;
        // CT in HU with air below −1024 and bone above 600, so the study's window clips both ends.
        image[i] = ct ? (k ? 80 : -1100 + 2 * x + 1700 * Number(y === h - 1)) + Math.round(rng.next() * 10) : (k ? 400 : 50 + x) + rng.next();
      }
  return { image, label };
}

const RAS_2MM = [2, 0, 0, -10, 0, 2, 0, -12, 0, 0, 3, 5, 0, 0, 0, 1];

/**
 * An MSD task as it unpacks: `<Task>/dataset.json` (official keys: name, modality, labels,
 * numTraining, numTest, training [{image, label}], test [paths], listed in shuffled order),
 * `imagesTr/<case>.nii.gz`, `labelsTr/`, `imagesTs/`, and the macOS `._<case>.nii.gz` files the tarballs carry.
 * AMOS adds `validation` with `imagesVa/` + `labelsVa/`; `extraTrainIds` adds training cases by number (AMOS's MRI scans are > 500).
 */
export async function writeDecathlonFixture(
  dir: string,
  o: { task: string; prefix: string; modality: 'CT' | 'MRI'; labels: string[]; train: number; test?: number; validation?: number; firstId?: number; extraTrainIds?: number[]; size?: [number, number, number] },
): Promise<{ root: string; trainIds: string[]; validationIds: string[] }> {
  const root = path.join(dir, o.task);
  const [w, h, d] = o.size ?? [8, 7, 4];
  const values = o.labels.map((_, i) => i);
  const id = (k: number): string => `${o.prefix}_${String(k).padStart(o.prefix === 'amos' ? 4 : 3, '0')}`;
  const write1 = async (imgDir: string, lblDir: string | null, name: string, seed: number): Promise<void> => {
    const { image, label } = labelledVolume(w, h, d, seed, values, o.modality === 'CT');
    await writeNifti(path.join(root, imgDir, `${name}.nii.gz`), { kind: '3d', width: w, height: h, depth: d, data: image }, RAS_2MM);
    if (lblDir) await writeNifti(path.join(root, lblDir, `${name}.nii.gz`), { kind: '3d', width: w, height: h, depth: d, data: label }, RAS_2MM);
  };
  const first = o.firstId ?? 1;
  const trainIds: string[] = [];
  const validationIds: string[] = [];
  const testIds: string[] = [];
  for (let k = 0; k < o.train; k++) trainIds.push(id(first + k));
  for (const k of o.extraTrainIds ?? []) trainIds.push(id(k));
  for (let k = 0; k < (o.validation ?? 0); k++) validationIds.push(id(first + o.train + k));
  for (let k = 0; k < (o.test ?? 0); k++) testIds.push(id(first + o.train + (o.validation ?? 0) + k));
  for (const [i, name] of trainIds.entries()) await write1('imagesTr', 'labelsTr', name, i + 1);
  for (const [i, name] of validationIds.entries()) await write1('imagesVa', 'labelsVa', name, 100 + i);
  for (const [i, name] of testIds.entries()) await write1('imagesTs', null, name, 200 + i);
  await write(path.join(root, 'imagesTr', `._${trainIds[0]}.nii.gz`), Buffer.from('\u0000\u0005\u0016\u0007Mac OS X        '));
  await write(path.join(root, 'labelsTr', `._${trainIds[0]}.nii.gz`), Buffer.from('\u0000\u0005\u0016\u0007Mac OS X        '));
  const shuffled = <T>(xs: T[]): T[] => xs.map((x, i) => [x, (i * 7919) % 101] as const).sort((a, b) => a[1] - b[1]).map(([x]) => x);
  const json: Record<string, unknown> = {
    name: o.task.replace(/^Task\d+_/, ''),
    description: `${o.task} (medprobe test fixture)`,
    reference: 'fixture',
    licence: 'CC-BY-SA 4.0',
    relase: '1.0 04/05/2018',
    tensorImageSize: '3D',
    modality: { '0': o.modality },
    labels: Object.fromEntries(o.labels.map((l, i) => [String(i), l])),
    numTraining: trainIds.length,
    numTest: testIds.length,
    training: shuffled(trainIds).map((n) => ({ image: `./imagesTr/${n}.nii.gz`, label: `./labelsTr/${n}.nii.gz` })),
    test: testIds.map((n) => `./imagesTs/${n}.nii.gz`),
  };
  if (o.validation !== undefined) {
    json.numValidation = validationIds.length;
    json.validation = validationIds.map((n) => ({ image: `./imagesVa/${n}.nii.gz`, label: `./labelsVa/${n}.nii.gz` }));
  }
  await write(path.join(root, 'dataset.json'), JSON.stringify(json, null, 1));
  return { root, trainIds, validationIds };
}

/** A 0/255 lung mask: a box in columns [c0, c1) and rows [2, h−2). */
export function boxMaskPng(w: number, h: number, c0: number, c1: number): Buffer {
  const px = new Uint8Array(w * h);
  for (let r = 2; r < h - 2; r++) for (let c = c0; c < c1; c++) px[r * w + c] = 255;
  return PNG.sync.write({ width: w, height: h, data: Buffer.from(px) } as PNG, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/**
 * Montgomery County as unzipped: `MontgomerySet/CXR_png/MCUCXR_<nnnn>_<0|1>.png` (grey X-rays,
 * portrait), `ManualMask/leftMask/` and `rightMask/` with the same file names (0/255), and
 * `ClinicalReadings/*.txt`. The patient's left lung is on the image's right: leftMask covers the
 * right half's box, rightMask the left half's.
 */
export async function writeMontgomeryFixture(dir: string, n = 12, width = 20, height = 24): Promise<{ root: string; names: string[] }> {
  const root = path.join(dir, 'MontgomerySet');
  const names: string[] = [];
  for (let k = 1; k <= n; k++) {
    const tb = k % 3 === 0 ? 1 : 0;
    const name = `MCUCXR_${String(k).padStart(4, '0')}_${tb}.png`;
    names.push(name);
    await write(path.join(root, 'CXR_png', name), grayPng(width, height, tb === 1, k));
    await write(path.join(root, 'ManualMask', 'leftMask', name), boxMaskPng(width, height, width / 2 + 1, width - 2));
    await write(path.join(root, 'ManualMask', 'rightMask', name), boxMaskPng(width, height, 2, width / 2 - 1));
    await write(path.join(root, 'ClinicalReadings', name.replace(/\.png$/, '.txt')), `Patient's Sex: M\nPatient's Age: 0${30 + k}Y\n${tb ? 'TB' : 'normal'}\n`);
  }
  return { root, names };
}
