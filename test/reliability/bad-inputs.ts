/**
 * The bad-input corpus: malformed files a user (or an attacker) can hand medprobe — npz/npy,
 * NIfTI, DICOM, PNG folders + CSV, MATLAB .mat, suites, model cards and result files — each in
 * its own case folder with the command that meets it:
 *
 *   <root>/<case>/data/…      the user's data (must stay untouched)
 *   <root>/<case>/suite.yaml  when the command is `run` / `data check`
 *   <root>/<case>/out/        the only place medprobe may write (cacheDir, resultsDir, --out)
 *   <root>/_model/            the tiny ONNX CNN + card every suite uses (written once)
 *
 * `npm run fixtures:bad-inputs [-- dir] [--check]` writes it (default test/.fixtures/bad-inputs,
 * git-ignored); test/reliability/bad-inputs.test.ts runs every case through the CLI in-process.
 * Everything is built from fixed seeds, so the corpus is the same on every machine.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { writeNifti } from '../../src/data/nifti/write.js';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../../src/models/fixtures/tiny-cnn.js';
import { encodeNpy } from '../../src/util/npy.js';
import { createRng } from '../../src/util/random.js';
import { ctSlice } from '../data/dicom-fixtures.js';
import { matDouble, matText, matVar, writeMatV73 } from '../data/mat-fixture.js';
import { npzBytes, type NpzArrays } from '../data/npz-fixture.js';
import { pneumoniaLike } from '../run/plan-fixture.js';
import { makeResult } from '../results/make-result.js';

export interface BadInputCase {
  /** `<format>/<what>`, also the case folder (with `/` → `__`). */
  name: string;
  /** What is wrong, in a few words (the reliability table's row). */
  what: string;
  /** CLI arguments, run with the case folder as working directory. */
  argv: string[];
  /** The one error line must contain this (the offending file's base name, or the path it names). */
  names: string;
}

/** Where a case lives: `npz/truncated:run` → `npz__truncated__run`. */
export const caseDir = (root: string, name: string) => path.join(root, name.replace(/[/:]/g, '__'));

type Writer = (dir: string, data: string) => Promise<Omit<BadInputCase, 'name' | 'what'>>;

async function put(file: string, bytes: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, bytes);
}

// ---------------------------------------------------------------------------------------------
// Builders of valid inputs, which the cases then break.

const COUNTS: [number, number, number] = [12, 6, 6];

function pngBytes(size: number, seed: number, bright: boolean): Buffer {
  const rng = createRng(seed);
  const data = Buffer.alloc(size * size);
  for (let i = 0; i < data.length; i++) data[i] = Math.round((bright ? 150 : 40) + rng.next() * 60);
  return PNG.sync.write({ width: size, height: size, data } as unknown as PNG, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

function volume(seed: number, w = 8, h = 8, d = 4): Int16Array {
  const rng = createRng(seed);
  return Int16Array.from({ length: w * h * d }, () => Math.round(-1000 + rng.next() * 1400));
}

async function niftiBytes(file: string, opts: { float?: Float32Array } = {}): Promise<Uint8Array> {
  const tmp = `${file}.build.nii`;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeNifti(tmp, opts.float ? { kind: '3d', width: 8, height: 8, depth: 4, data: opts.float } : { kind: '3d', width: 8, height: 8, depth: 4, data: volume(1) });
  const bytes = await fs.readFile(tmp);
  await fs.rm(tmp);
  return bytes;
}

/** A valid NIfTI with header fields patched (offsets per nifti1.h). */
function patchNifti(bytes: Uint8Array, patch: (dv: DataView) => void): Uint8Array {
  const out = Uint8Array.from(bytes);
  patch(new DataView(out.buffer));
  return out;
}

function dicomSeries(n: number, opts: { skip?: number; rows?: (i: number) => number } = {}): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  for (let i = 0; i < n; i++) {
    if (i === opts.skip) continue;
    const rows = opts.rows?.(i) ?? 8;
    out.push([`slice${String(i).padStart(2, '0')}.dcm`, ctSlice({ rows, cols: 8, pixels: Int16Array.from({ length: rows * 8 }, (_, k) => (k * 7 + i) % 300), signed: true, position: [0, 0, i * 2.5], instance: i + 1 })]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Suites around the broken data.

const MODEL = '../_model/tiny.yaml';
const OUT = 'cacheDir: out/cache\nresultsDir: out/results\n';
const PROTOCOLS = 'protocols:\n  knn:\n    k: [3]\nbootstrap:\n  resamples: 20\n';

function medmnistSuite(file = 'data/pneumoniamnist.npz', name = 'pneumoniamnist'): string {
  return `name: bad\nseed: 1\n${OUT}models:\n  - card: ${MODEL}\ndatasets:\n  - source: medmnist\n    name: ${name}\n    file: ${file}\n${PROTOCOLS}`;
}

const FOLDER_RECIPE = `    recipe:
      name: grey
      steps:
        - { op: min-max, bounds: image }
        - { op: gray-to-rgb }
        - { op: resize, size: model, mode: exact, interpolation: bilinear }
        - { op: normalize, source: model-card }`;

function folderSuite(extra = ''): string {
  return `name: bad\nseed: 1\n${OUT}models:\n  - card: ${MODEL}\ndatasets:\n  - source: folder\n    name: toy\n    root: data\n    csv: labels.csv\n    imageColumn: file\n    patientColumn: patient\n    splitColumn: split\n    labels: { kind: single, column: label }\n${extra}${FOLDER_RECIPE}\n${PROTOCOLS}`;
}

/** Both classes in every split: the last quarter of the rows is test, the quarter before val. */
const splitOf = (i: number, n: number) => (i >= (3 * n) / 4 ? 'test' : i >= n / 2 ? 'val' : 'train');

/** 16 good PNGs (8 patients × 2) and their CSV rows; cases add or break rows. */
async function goodFolder(data: string): Promise<string[]> {
  const rows = ['file,label,patient,split'];
  for (let i = 0; i < 16; i++) {
    const name = `img${String(i).padStart(2, '0')}.png`;
    await put(path.join(data, name), pngBytes(16, i, i % 2 === 1));
    rows.push(`${name},${i % 2},P${i},${splitOf(i, 16)}`);
  }
  return rows;
}

async function folderCase(dir: string, data: string, edit: (rows: string[]) => Promise<string[]> | string[], opts: { extra?: string; csvName?: string } = {}) {
  const rows = await edit(await goodFolder(data));
  await put(path.join(data, opts.csvName ?? 'labels.csv'), `${rows.join('\n')}\n`);
  await put(path.join(dir, 'suite.yaml'), folderSuite(opts.extra));
  return { argv: ['run', 'suite.yaml'] };
}

function volumesSuite(): string {
  return `name: bad\nseed: 1\n${OUT}models:\n  - card: ${MODEL}\ndatasets:\n  - source: volumes\n    name: vols\n    root: data\n    csv: vols.csv\n    patientColumn: patient\n    splitColumn: split\n    labels: { kind: single, column: label }\n    modality: CT\n${PROTOCOLS}`;
}

/** Eight good CT volumes; `bad` replaces vol03's file (its name chosen by the case). */
async function volumesCase(dir: string, data: string, bad: { name: string; bytes?: Uint8Array; files?: [string, Uint8Array][] }) {
  const rows = ['path,label,patient,split'];
  for (let i = 0; i < 8; i++) {
    if (i === 3) {
      if (bad.bytes) await put(path.join(data, bad.name), bad.bytes);
      for (const [f, b] of bad.files ?? []) await put(path.join(data, bad.name, f), b);
      rows.push(`${bad.name},${i % 2},S${i},${splitOf(i, 8)}`);
      continue;
    }
    const name = `vol${i}.nii`;
    await writeNifti(path.join(data, name), { kind: '3d', width: 8, height: 8, depth: 4, data: volume(10 + i) }, undefined);
    rows.push(`${name},${i % 2},S${i},${splitOf(i, 8)}`);
  }
  await put(path.join(data, 'vols.csv'), `${rows.join('\n')}\n`);
  await put(path.join(dir, 'suite.yaml'), volumesSuite());
  return { argv: ['run', 'suite.yaml'] };
}

// ---------------------------------------------------------------------------------------------
// The cases.

/** Variants `data info` must refuse too: it reads the archive and headers; label and split semantics are `run`'s to check. */
const NPZ_INFO = ['empty', 'truncated', 'not-a-zip', 'png-renamed', 'fortran-order', 'huge-shape', 'object-dtype', 'bad-npy-magic', 'crc'];

const npzVariants: [string, string, () => Promise<Uint8Array> | Uint8Array][] = [
  ['empty', 'a zero-byte file', () => new Uint8Array(0)],
  ['truncated', 'the npz cut to half its length', () => npzBytes(pneumoniaLike(COUNTS)).subarray(0, 4000)],
  ['not-a-zip', 'random bytes named .npz', () => Uint8Array.from({ length: 3000 }, (_, i) => (i * 131 + 7) & 0xff)],
  ['png-renamed', 'a PNG renamed to .npz', () => pngBytes(16, 1, true)],
  ['missing-split', 'no test_images / test_labels', () => npzBytes(omit(pneumoniaLike(COUNTS), ['test_images', 'test_labels']))],
  ['label-count', 'train_labels shorter than train_images', () => npzBytes(withArray(pneumoniaLike(COUNTS), 'train_labels', new Uint8Array(5), [5, 1]))],
  ['zero-size-images', 'images of shape [n, 0, 0]', () => npzBytes(withArray(pneumoniaLike(COUNTS), 'train_images', new Uint8Array(0), [12, 0, 0]))],
  ['empty-test', 'a test split with 0 samples', () => npzBytes(withArray(withArray(pneumoniaLike(COUNTS), 'test_images', new Uint8Array(0), [0, 28, 28]), 'test_labels', new Uint8Array(0), [0, 1]))],
  ['wrong-shape', 'images of shape [n, 28] (no second image axis)', () => npzBytes(withArray(pneumoniaLike(COUNTS), 'train_images', new Uint8Array(12 * 28), [12, 28]))],
  ['five-channels', 'images with 5 channels', () => npzBytes(withArray(pneumoniaLike(COUNTS), 'train_images', new Uint8Array(12 * 28 * 28 * 5), [12, 28, 28, 5]))],
  ['fortran-order', 'an npy member stored in Fortran order', () => zipMembers(pneumoniaLike(COUNTS), { 'train_images.npy': (b) => replaceHeader(b, "'fortran_order': False", "'fortran_order': True ") })],
  ['huge-shape', 'an npy header declaring 10^9 images', () => zipMembers(pneumoniaLike(COUNTS), { 'train_images.npy': (b) => replaceHeader(b, "'shape': (12, 28, 28)", "'shape': (999999999, 28, 28)") })],
  ['object-dtype', "an npy member of dtype '|O' (pickled objects)", () => zipMembers(pneumoniaLike(COUNTS), { 'train_labels.npy': (b) => replaceHeader(b, "'descr': '|u1'", "'descr': '|O' ") })],
  ['bad-npy-magic', 'an npy member without the \\x93NUMPY magic', () => zipMembers(pneumoniaLike(COUNTS), { 'val_images.npy': (b) => Uint8Array.from(b, (v, i) => (i < 6 ? 0x41 : v)) })],
  ['label-out-of-range', 'label 7 in a 2-class dataset', () => npzBytes(withArray(pneumoniaLike(COUNTS), 'train_labels', Uint8Array.from({ length: 12 }, (_, i) => (i === 3 ? 7 : i % 2)), [12, 1]))],
  ['label-width', '14 label columns in a single-label dataset', () => npzBytes(withArray(pneumoniaLike(COUNTS), 'train_labels', new Uint8Array(12 * 14), [12, 14]))],
  ['nan-images', 'float32 images with NaN pixels (NaN features)', () => npzBytes(withArray(pneumoniaLike(COUNTS), 'train_images', Float32Array.from({ length: 12 * 784 }, (_, i) => (i % 97 === 0 ? NaN : 0.5)), [12, 28, 28]))],
  ['nan-labels', 'float labels with NaN', () => npzBytes(withArray(pneumoniaLike(COUNTS), 'train_labels', Float32Array.from({ length: 12 }, (_, i) => (i === 2 ? NaN : i % 2)), [12, 1]))],
  ['crc', 'a member whose compressed bytes are corrupted', () => corruptMiddle(npzBytes(pneumoniaLike(COUNTS)))],
];

function omit(a: NpzArrays, keys: string[]): NpzArrays {
  return Object.fromEntries(Object.entries(a).filter(([k]) => !keys.includes(k)));
}
function withArray(a: NpzArrays, key: string, data: NpzArrays[string]['data'], shape: number[]): NpzArrays {
  return { ...a, [key]: { data, shape } };
}
/** An npz whose listed members are re-encoded through `edit` (stored, so header edits stay byte-exact). */
function zipMembers(a: NpzArrays, edits: Record<string, (npy: Uint8Array) => Uint8Array>): Uint8Array {
  const members: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(a)) {
    const npy = encodeNpy(v.data, v.shape);
    members[`${k}.npy`] = edits[`${k}.npy`]?.(npy) ?? npy;
  }
  return zipStored(members);
}
/** Edit an npy header's text, keeping its length by taking or giving padding spaces. */
function replaceHeader(npy: Uint8Array, from: string, to: string): Uint8Array {
  const len = npy[8] | (npy[9] << 8);
  const header = Buffer.from(npy.subarray(10, 10 + len)).toString('latin1');
  if (!header.includes(from)) throw new Error(`header has no ${from}: ${header}`);
  const edited = header.replace(from, to).replace(/ *\n$/, '');
  const out = Uint8Array.from(npy);
  out.set(Buffer.from(edited.padEnd(len - 1, ' ') + '\n', 'latin1'), 10);
  return out;
}
function corruptMiddle(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = Math.floor(out.length / 3); i < Math.floor(out.length / 3) + 64; i++) out[i] ^= 0x5a;
  return out;
}
/** Members stored (level 0), so the header edits above reach the reader byte for byte. */
function zipStored(members: Record<string, Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(members).map(([k, v]) => [k, [v, { level: 0 }]])));
}

export async function writeBadInputs(root: string): Promise<BadInputCase[]> {
  await fs.mkdir(root, { recursive: true });
  const model = path.join(root, '_model');
  await writeTinyCnnOnnx(path.join(model, 'tiny.onnx'), { size: 32 });
  await writeTinyCnnCard(path.join(model, 'tiny.yaml'), path.join(model, 'tiny.onnx'), { size: 32 });

  const cases: [string, string, Writer][] = [];
  const add = (name: string, what: string, w: Writer) => cases.push([name, what, w]);

  // npz: each one through `data info` and through `run`
  for (const [slug, what, bytes] of npzVariants) {
    if (NPZ_INFO.includes(slug))
      add(`npz/${slug}:info`, what, async (dir, data) => {
      await put(path.join(data, 'pneumoniamnist.npz'), await bytes());
      return { argv: ['data', 'info', 'data/pneumoniamnist.npz'], names: 'pneumoniamnist.npz' };
    });
    add(`npz/${slug}:run`, what, async (dir, data) => {
      await put(path.join(data, 'pneumoniamnist.npz'), await bytes());
      await put(path.join(dir, 'suite.yaml'), medmnistSuite());
      return { argv: ['run', 'suite.yaml'], names: 'pneumoniamnist.npz' };
    });
  }
  // An npz bomb: 64 KB on disk, train_images inflating to 56 MB of zeros; refused under a 32 MB budget before inflating.
  const npzBomb = () => npzBytes(withArray(pneumoniaLike(COUNTS), 'train_images', new Uint8Array(1120 * 224 * 224), [1120, 224, 224]));
  add('npz/bomb:info', 'a small npz whose train_images inflate to 56 MB, under --memory-budget 32MB', async (_dir, data) => {
    await put(path.join(data, 'pneumoniamnist.npz'), npzBomb());
    return { argv: ['data', 'info', 'data/pneumoniamnist.npz', '--memory-budget', '32MB'], names: 'pneumoniamnist.npz' };
  });
  add('npz/bomb:run', 'a small npz whose train_images inflate to 56 MB, run --dry-run under --memory-budget 32MB', async (dir, data) => {
    await put(path.join(data, 'pneumoniamnist.npz'), npzBomb());
    await put(path.join(dir, 'suite.yaml'), medmnistSuite());
    return { argv: ['run', 'suite.yaml', '--dry-run', '--memory-budget', '32MB'], names: 'pneumoniamnist.npz' };
  });
  add('npz/missing-file:run', 'the suite names an npz that does not exist', async (dir) => {
    await put(path.join(dir, 'suite.yaml'), medmnistSuite('data/nowhere.npz'));
    return { argv: ['run', 'suite.yaml'], names: 'nowhere.npz' };
  });
  add('npy/bare-npy:info', 'a single .npy handed to data info', async (dir, data) => {
    await put(path.join(data, 'x.npy'), encodeNpy(new Uint8Array(10), [10]).subarray(0, 20));
    return { argv: ['data', 'info', 'data/x.npy'], names: 'x.npy' };
  });

  // NIfTI: data info on the file, and a volumes run over a list that holds it
  const niftiVariants: [string, string, (good: Uint8Array) => Uint8Array, string?][] = [
    ['empty', 'a zero-byte .nii', () => new Uint8Array(0)],
    ['header-only', 'the 348-byte header and no voxels', (g) => g.subarray(0, 348)],
    ['short-header', 'a file shorter than a NIfTI header', (g) => g.subarray(0, 100)],
    ['truncated-voxels', 'voxel data cut short', (g) => g.subarray(0, g.length - 200)],
    ['dim3-zero', 'dim[3] = 0', (g) => patchNifti(g, (dv) => dv.setInt16(46, 0, true))],
    ['negative-dim', 'dim[2] = −8', (g) => patchNifti(g, (dv) => dv.setInt16(44, -8, true))],
    ['dim0-nine', 'dim[0] = 9 (more than 7 dimensions)', (g) => patchNifti(g, (dv) => dv.setInt16(40, 9, true))],
    ['bad-datatype', 'datatype 1792 (complex256)', (g) => patchNifti(g, (dv) => dv.setInt16(70, 1792, true))],
    ['bad-magic', "magic 'xx1' instead of 'n+1'", (g) => patchNifti(g, (dv) => [0x78, 0x78].forEach((c, i) => dv.setUint8(344 + i, c)))],
    ['vox-offset-past-end', 'vox_offset beyond the end of the file', (g) => patchNifti(g, (dv) => dv.setFloat32(108, 1e6, true))],
    ['huge-declared', 'a header declaring 2048³ int16 voxels (16 GiB) in a small file', (g) => patchNifti(g, (dv) => [42, 44, 46].forEach((o) => dv.setInt16(o, 2048, true)))],
    ['gz-truncated', 'a .nii.gz cut short', (g) => gzipSync(g).subarray(0, 300), '.nii.gz'],
    ['gz-short-body', 'a small .nii.gz that declares 1 GiB of voxels and inflates to 8 MiB', (g) => gzipSync(Buffer.concat([patchNifti(g, (dv) => [42, 44, 46].forEach((o) => dv.setInt16(o, 812, true))), Buffer.alloc(8 << 20)])), '.nii.gz'],
    ['gz-not-gzip', 'a plain .nii named .nii.gz', (g) => g, '.nii.gz'],
  ];
  const goodNifti = await niftiBytes(path.join(root, '_build', 'good.nii'));
  for (const [slug, what, make, ext = '.nii'] of niftiVariants) {
    const file = `broken${ext}`;
    add(`nifti/${slug}:info`, what, async (_dir, data) => {
      await put(path.join(data, file), make(goodNifti));
      return { argv: ['data', 'info', `data/${file}`], names: file };
    });
    add(`nifti/${slug}:run`, what, async (dir, data) => ({ ...(await volumesCase(dir, data, { name: file, bytes: make(goodNifti) })), names: file }));
  }
  // A real gzip bomb (the repro): ~1 MB on disk that inflates to the 1 GiB its header declares
  // (gzip members concatenated: 64 × 16 MiB of zeros). Refused under a 256 MB budget before inflating.
  const zeros = gzipSync(Buffer.alloc(16 << 20));
  const bomb = Buffer.concat([gzipSync(patchNifti(goodNifti, (dv) => [42, 44, 46].forEach((o) => dv.setInt16(o, 812, true))).subarray(0, 352)), ...Array.from({ length: 64 }, () => zeros)]);
  add('nifti/gz-bomb:info', 'a 1 MB .nii.gz that inflates to the 1 GiB it declares, under --memory-budget 256MB', async (_dir, data) => {
    await put(path.join(data, 'bomb.nii.gz'), bomb);
    return { argv: ['data', 'info', 'data/bomb.nii.gz', '--memory-budget', '256MB'], names: 'bomb.nii.gz' };
  });
  add('nifti/gz-bomb:run', 'a 1 MB .nii.gz that inflates to the 1 GiB it declares, under --memory-budget 256MB', async (dir, data) => {
    const c = await volumesCase(dir, data, { name: 'bomb.nii.gz', bytes: bomb });
    return { argv: [...c.argv, '--memory-budget', '256MB'], names: 'bomb.nii.gz' };
  });
  const allNan = await niftiBytes(path.join(root, '_build', 'nan.nii'), { float: new Float32Array(256).fill(NaN) });
  const someNan = await niftiBytes(path.join(root, '_build', 'somenan.nii'), { float: Float32Array.from({ length: 256 }, (_, i) => (i % 9 === 0 ? NaN : i)) });
  add('nifti/all-nan:info', 'a float volume whose voxels are all NaN', async (_dir, data) => {
    await put(path.join(data, 'nan.nii'), allNan);
    return { argv: ['data', 'info', 'data/nan.nii'], names: 'nan.nii' };
  });
  add('nifti/all-nan:run', 'a float volume whose voxels are all NaN', async (dir, data) => ({ ...(await volumesCase(dir, data, { name: 'nan.nii', bytes: allNan })), names: 'nan.nii' }));
  add('nifti/some-nan:run', 'a float volume with NaN voxels', async (dir, data) => ({ ...(await volumesCase(dir, data, { name: 'somenan.nii', bytes: someNan })), names: 'somenan.nii' }));
  add('nifti/missing:run', 'the list names a volume that does not exist', async (dir, data) => ({ ...(await volumesCase(dir, data, { name: 'gone.nii' })), names: 'gone.nii' }));

  // DICOM: single files and series folders through data info, series through a volumes run
  const dicomFiles: [string, string, () => Uint8Array][] = [
    ['empty', 'a zero-byte .dcm', () => new Uint8Array(0)],
    ['not-dicom', 'text named .dcm', () => new TextEncoder().encode('this is not a DICOM file\n'.repeat(20))],
    ['truncated-pixels', 'pixel data cut short', () => dicomSeries(1)[0][1].subarray(0, dicomSeries(1)[0][1].length - 40)],
    ['preamble-only', 'the 128-byte preamble and DICM, nothing else', () => dicomSeries(1)[0][1].subarray(0, 132)],
    ['zero-rows', 'Rows = 0', () => ctSlice({ rows: 0, cols: 8, pixels: new Int16Array(0), signed: true })],
  ];
  add('dicom/huge-declared:info', 'a 1 KB slice declaring 8192 × 8192 pixels, under --memory-budget 64MB', async (_dir, data) => {
    await put(path.join(data, 'image.dcm'), ctSlice({ rows: 8192, cols: 8192, pixels: new Int16Array(64), signed: true }));
    return { argv: ['data', 'info', 'data/image.dcm', '--memory-budget', '64MB'], names: 'image.dcm' };
  });
  for (const [slug, what, make] of dicomFiles) {
    add(`dicom/${slug}:info`, what, async (_dir, data) => {
      await put(path.join(data, 'image.dcm'), make());
      return { argv: ['data', 'info', 'data/image.dcm'], names: 'image.dcm' };
    });
  }
  const series: [string, string, () => [string, Uint8Array][], string][] = [
    ['missing-slice', 'a series with slice 3 of 6 missing', () => dicomSeries(6, { skip: 3 }), 'series'],
    ['mixed-rows', 'one slice with 12 rows among 8-row slices', () => dicomSeries(5, { rows: (i) => (i === 2 ? 12 : 8) }), 'series'],
    ['one-corrupt-slice', 'one slice of the series truncated', () => dicomSeries(5).map(([n, b], i) => [n, i === 2 ? b.subarray(0, 200) : b]), 'slice02.dcm'],
    ['no-dicom', 'a series folder with no DICOM files in it', () => [['readme.txt', new TextEncoder().encode('empty\n')]], 'series'],
  ];
  for (const [slug, what, files, names] of series) {
    // `data info` shows a hole or an unreadable slice as a warning (its job is to describe); `run` refuses it.
    if (!['missing-slice', 'one-corrupt-slice'].includes(slug))
      add(`dicom/${slug}:info`, what, async (_dir, data) => {
      for (const [f, b] of files()) await put(path.join(data, 'series', f), b);
      return { argv: ['data', 'info', 'data/series'], names };
    });
    add(`dicom/${slug}:run`, what, async (dir, data) => ({ ...(await volumesCase(dir, data, { name: 'series', files: files() })), names }));
  }

  // Each slice within the budget, the series together over it: judged on the headers, before any pixel is decoded.
  const overBudget = (): [string, Uint8Array][] =>
    Array.from({ length: 8 }, (_, i) => [`slice${i}.dcm`, ctSlice({ rows: 2048, cols: 2048, pixels: new Int16Array(64), signed: true, position: [0, 0, i * 2.5], instance: i + 1 })]);
  const overBudgetWhat = 'a series of 8 slices declaring 2048 × 2048 each (1 KB files, 24 MiB each decoded, a 128 MiB Float32 volume together), under --memory-budget 64MB';
  add('dicom/series-over-budget:info', overBudgetWhat, async (_dir, data) => {
    for (const [f, b] of overBudget()) await put(path.join(data, 'series', f), b);
    return { argv: ['data', 'info', 'data/series', '--memory-budget', '64MB'], names: 'data/series declares' };
  });
  add('dicom/series-over-budget:run', overBudgetWhat, async (dir, data) => {
    const c = await volumesCase(dir, data, { name: 'series', files: overBudget() });
    return { argv: [...c.argv, '--memory-budget', '64MB'], names: 'data/series declares' };
  });

  // PNG folders + CSV
  const folder: [string, string, (data: string, rows: string[]) => Promise<string[]> | string[], string, string?][] = [
    ['corrupt-png', 'a PNG cut short', async (data, rows) => (await put(path.join(data, 'img03.png'), pngBytes(16, 3, true).subarray(0, 60)), rows), 'img03.png'],
    ['empty-png', 'a zero-byte PNG', async (data, rows) => (await put(path.join(data, 'img03.png'), new Uint8Array(0)), rows), 'img03.png'],
    ['text-as-png', 'a text file named .png', async (data, rows) => (await put(path.join(data, 'img03.png'), 'hello'), rows), 'img03.png'],
    ['zero-size-png', 'a PNG whose header says 0 × 0 pixels', async (data, rows) => (await put(path.join(data, 'img03.png'), zeroSizePng()), rows), 'img03.png'],
    ['missing-image', 'a CSV row naming a file that does not exist', (_d, rows) => [...rows, 'ghost.png,1,P99,train'], 'ghost.png'],
    ['path-escape', 'a CSV path leading out of the dataset root', async (data, rows) => (await put(path.join(data, '..', 'outside.png'), pngBytes(16, 99, true)), [...rows, '../outside.png,1,P99,train']), 'outside.png'],
    ['absolute-path', 'an absolute CSV path outside the dataset root', (_d, rows) => [...rows, '/etc/hostname,1,P99,train'], '/etc/hostname'],
    ['ragged-row', 'a CSV row with one field too many', (_d, rows) => [...rows.slice(0, 5), 'img04.png,0,P4,train,extra', ...rows.slice(6)], 'labels.csv'],
    ['empty-label', 'a CSV row with an empty label', (_d, rows) => rows.map((r, i) => (i === 4 ? 'img03.png,,P3,train' : r)), 'labels.csv'],
    ['unknown-split', "a split value 'tset'", (_d, rows) => rows.map((r, i) => (i === 4 ? 'img03.png,0,P3,tset' : r)), 'labels.csv'],
    ['no-label-column', 'the label column is missing', (_d, rows) => rows.map((r) => r.split(',').filter((_, k) => k !== 1).join(',')), 'labels.csv'],
    ['header-only', 'a CSV with a header and no rows', (_d, rows) => rows.slice(0, 1), 'labels.csv'],
    ['empty-csv', 'a zero-byte CSV', () => [], 'labels.csv'],
    ['unclosed-quote', 'a CSV with an unclosed quote', (_d, rows) => [...rows.slice(0, 3), '"img02.png,0,P2,train', ...rows.slice(4)], 'labels.csv'],
    ['binary-csv', 'binary bytes as the CSV', () => [String.fromCharCode(...Array.from({ length: 200 }, (_, i) => (i * 37) & 0xff))], 'labels.csv'],
    ['one-class', 'every row has label 0', (_d, rows) => rows.map((r, i) => (i === 0 ? r : r.replace(/,1,/, ',0,'))), 'labels.csv'],
  ];
  for (const [slug, what, edit, names] of folder) {
    add(`folder/${slug}:run`, what, async (dir, data) => ({ ...(await folderCase(dir, data, (rows) => edit(data, rows))), names }));
  }
  add('folder/missing-csv:run', 'the suite names a CSV that does not exist', async (dir, data) => {
    await folderCase(dir, data, (rows) => rows, { csvName: 'other.csv' });
    return { argv: ['run', 'suite.yaml'], names: 'labels.csv' };
  });
  /** The CSV without its patient column; patients come from `pattern` applied to the path. */
  const patternCase = async (dir: string, data: string, pattern: string) => {
    const r = await folderCase(dir, data, (rows) => rows.map((row) => row.split(',').filter((_, k) => k !== 2).join(',')), { extra: `    patientPattern: "${pattern}"\n` });
    await fs.writeFile(path.join(dir, 'suite.yaml'), (await fs.readFile(path.join(dir, 'suite.yaml'), 'utf8')).replace('    patientColumn: patient\n', ''));
    return { ...r, names: 'patientPattern' };
  };
  add('folder/redos-pattern:run', 'a catastrophic-backtracking patientPattern ^(a+)+$ over 40-letter names (must answer, not hang)', async (dir, data) => {
    const c = await patternCase(dir, data, '^(a+)+$');
    // file names of 40 a's followed by something else: (a+)+$ backtracks 2^40 ways on each
    const long = 'a'.repeat(40);
    const csv = path.join(data, 'labels.csv');
    await fs.writeFile(csv, (await fs.readFile(csv, 'utf8')).replace(/^img/gm, `${long}img`));
    for (let i = 0; i < 16; i++) await fs.rename(path.join(data, `img${String(i).padStart(2, '0')}.png`), path.join(data, `${long}img${String(i).padStart(2, '0')}.png`));
    return c;
  });
  add('folder/invalid-pattern:run', 'a patientPattern that is not a regex', (dir, data) => patternCase(dir, data, '(P'));
  add('folder/pattern-no-group:run', 'a patientPattern without a capture group', (dir, data) => patternCase(dir, data, 'img'));

  // MATLAB .mat (the Brain Tumor registry loader)
  const mats: [string, string, () => Promise<Uint8Array | null>][] = [
    ['truncated', 'a v7.3 .mat cut short', async () => (await matBytes(root)).subarray(0, 700)],
    ['not-hdf5', 'a v5 (pre-7.3) .mat header over garbage', async () => { const b = Buffer.alloc(2000, 7); b.write('MATLAB 5.0 MAT-file, Platform: PCWIN64', 0, 'latin1'); return b; }],
    ['empty', 'a zero-byte .mat', async () => new Uint8Array(0)],
    ['no-image', 'cjdata without an image', async () => matBytes(root, { noImage: true })],
    ['bad-label', 'cjdata.label = 9 (classes are 1–3)', async () => matBytes(root, { label: 9 })],
  ];
  for (const [slug, what, make] of mats) {
    add(`mat/${slug}:run`, what, async (dir, data) => {
      for (let n = 1; n <= 30; n++) {
        const file = path.join(data, 'brainTumorDataPublic_1-766', `${n}.mat`);
        if (n === 5) await put(file, (await make())!);
        else await put(file, await matBytes(root, { n }));
      }
      await put(path.join(dir, 'suite.yaml'), `name: bad\nseed: 1\n${OUT}models:\n  - card: ${MODEL}\ndatasets:\n  - source: registry\n    name: brain-tumor\n    dir: data\n${PROTOCOLS}`);
      return { argv: ['run', 'suite.yaml'], names: '5.mat' };
    });
  }

  // suites, cards, results, output folders
  const goodNpz = npzBytes(pneumoniaLike(COUNTS));
  const suiteCase = (slug: string, what: string, suite: (s: string) => string, names: string, before?: (dir: string) => Promise<void>, argv: string[] = ['run', 'suite.yaml']) =>
    add(`suite/${slug}:run`, what, async (dir, data) => {
      await put(path.join(data, 'pneumoniamnist.npz'), goodNpz);
      await before?.(dir);
      await put(path.join(dir, 'suite.yaml'), suite(medmnistSuite()));
      return { argv, names };
    });
  suiteCase('not-yaml', 'a suite that is not YAML', () => 'name: [unclosed\n  - {', 'suite.yaml');
  suiteCase('unknown-key', 'a suite with a misspelt key', (s) => s.replace('seed:', 'sed:'), 'sed');
  suiteCase('k-zero', 'knn k = 0', (s) => s.replace('k: [3]', 'k: [0]'), 'k');
  suiteCase('unknown-protocol', 'a protocol medprobe does not have', (s) => s.replace('knn:', 'knnn:'), 'knnn');
  suiteCase('unknown-dataset', 'a MedMNIST name that does not exist', (s) => s.replace('name: pneumoniamnist', 'name: pneumomnist'), 'pneumomnist');
  suiteCase('results-is-file', 'resultsDir is an existing file', (s) => s.replace('resultsDir: out/results', 'resultsDir: out/taken'), 'out/taken', (dir) => put(path.join(dir, 'out', 'taken'), 'x'));
  suiteCase('cache-is-file', 'cacheDir is an existing file', (s) => s.replace('cacheDir: out/cache', 'cacheDir: out/taken'), 'out/taken', (dir) => put(path.join(dir, 'out', 'taken'), 'x'));
  suiteCase('dup-model-names', 'two cards whose names collide after sanitising ("net v1", "net_v1")', (s) => s.replace(`  - card: ${MODEL}\n`, '  - card: a.yaml\n  - card: b.yaml\n'), 'net', async (dir) => {
    const card = JSON.parse(await fs.readFile(path.join(root, '_model', 'tiny.yaml'), 'utf8'));
    const file = path.relative(dir, path.join(root, '_model', 'tiny.onnx'));
    await put(path.join(dir, 'a.yaml'), JSON.stringify({ ...card, name: 'net v1', file }));
    await put(path.join(dir, 'b.yaml'), JSON.stringify({ ...card, name: 'net_v1', file }));
  });
  const cardCase = (slug: string, what: string, card: (good: string) => string, names: string, extra?: (dir: string) => Promise<void>) =>
    add(`card/${slug}:run`, what, async (dir, data) => {
      await put(path.join(data, 'pneumoniamnist.npz'), goodNpz);
      const good = await fs.readFile(path.join(root, '_model', 'tiny.yaml'), 'utf8');
      await put(path.join(dir, 'card.yaml'), card(good).replace(/tiny\.onnx/g, path.relative(dir, path.join(root, '_model', 'tiny.onnx'))));
      await extra?.(dir);
      await put(path.join(dir, 'suite.yaml'), medmnistSuite().replace(MODEL, 'card.yaml'));
      return { argv: ['run', 'suite.yaml'], names };
    });
  cardCase('not-yaml', 'a model card that is not YAML', () => ': [\n  {', 'card.yaml');
  cardCase('missing-onnx', 'a card whose ONNX file does not exist', (g) => g.replace(/tiny\.onnx/g, 'missing.onnx'), 'missing.onnx');
  cardCase('corrupt-onnx', 'a card whose ONNX file is garbage', (g) => g.replace(/tiny\.onnx/g, 'garbage.onnx'), 'garbage.onnx', (dir) => put(path.join(dir, 'garbage.onnx'), Uint8Array.from({ length: 500 }, (_, i) => (i * 91) & 0xff)));
  cardCase('mean-length', 'a card with a 2-value normalisation mean', (g) => JSON.stringify({ ...JSON.parse(g), input: { ...JSON.parse(g).input, mean: [0.5, 0.5] } }), 'card.yaml');
  cardCase('size-zero', 'a card with input size 0', (g) => JSON.stringify({ ...JSON.parse(g), input: { ...JSON.parse(g).input, size: 0 } }), 'card.yaml');

  const resultCase = (slug: string, what: string, edit: (r: ReturnType<typeof makeResult>) => unknown, argv: string[] = ['leaderboard', 'out/results']) =>
    add(`result/${slug}:${argv[0]}`, what, async (dir) => {
      const r = makeResult({ model: 'net', dataset: 'pneumoniamnist', protocol: 'knn', metrics: { auroc: 0.9, accuracy: 0.8 } });
      const edited = edit(r);
      await put(path.join(dir, 'out', 'results', 'net', 'pneumoniamnist', 'knn.json'), typeof edited === 'string' ? edited : JSON.stringify(edited));
      return { argv, names: 'knn.json' };
    });
  resultCase('auroc-above-1', 'a hand-edited result with AUROC 7.5', (r) => ({ ...r, metrics: { auroc: 7.5, accuracy: 0.8 } }));
  resultCase('accuracy-negative', 'a hand-edited result with accuracy −3', (r) => ({ ...r, metrics: { auroc: 0.9, accuracy: -3 } }));
  resultCase('mcc-below-minus-1', 'MCC −1.5', (r) => ({ ...r, metrics: { auroc: 0.9, mcc: -1.5 } }));
  resultCase('ci-out-of-range', 'a confidence interval above 1', (r) => ({ ...r, ci: { auroc: { low: 0.8, high: 1.4, level: 0.95, resamples: 100 } } }));
  resultCase('truncated-json', 'a result file cut short', (r) => JSON.stringify(r).slice(0, 300));
  resultCase('wrong-schema', 'a result of an unknown schema version', (r) => ({ ...r, schema: 'medprobe.result/v0' }));
  resultCase('auroc-above-1-report', 'AUROC 7.5 through report', (r) => ({ ...r, metrics: { auroc: 7.5 } }), ['report', 'out/results', '--out', 'out/site']);
  const resultWithOverlay = () => JSON.stringify(makeResult({ model: 'net', dataset: 'pneumoniamnist', protocol: 'knn', metrics: { auroc: 0.9 }, extra: { overlays: ['overlay.png'] } }));
  add('result/symlink-out:report', 'a result whose overlay PNG is a symlink to a file outside the results folder', async (dir) => {
    await put(path.join(dir, 'out', 'results', 'net', 'pneumoniamnist', 'knn.json'), resultWithOverlay());
    await put(path.join(dir, 'secret.png'), pngBytes(4, 1, true));
    await fs.symlink(path.join(dir, 'secret.png'), path.join(dir, 'out', 'results', 'net', 'pneumoniamnist', 'overlay.png'));
    return { argv: ['report', 'out/results', '--out', 'out/site'], names: 'overlay.png' };
  });
  add('output/site-link-out:report', 'a folder inside the site output that is a symlink to a folder outside it', async (dir, data) => {
    await put(path.join(dir, 'out', 'results', 'net', 'pneumoniamnist', 'knn.json'), JSON.stringify(makeResult({ model: 'net', dataset: 'pneumoniamnist', protocol: 'knn', metrics: { auroc: 0.9 } })));
    await fs.mkdir(path.join(dir, 'out', 'site'), { recursive: true });
    await fs.symlink(data, path.join(dir, 'out', 'site', 'results'));
    return { argv: ['report', 'out/results', '--out', 'out/site'], names: 'out/site/results' };
  });
  add('output/report-out-is-file:report', 'report --out is an existing file', async (dir, data) => {
    await put(path.join(data, 'results', 'net', 'pneumoniamnist', 'knn.json'), JSON.stringify(makeResult({ model: 'net', dataset: 'pneumoniamnist', protocol: 'knn', metrics: { auroc: 0.9 } })));
    await put(path.join(dir, 'out', 'site'), 'x');
    return { argv: ['report', 'data/results', '--out', 'out/site'], names: 'out/site' };
  });

  const out: BadInputCase[] = [];
  for (const [name, what, write] of cases) {
    const dir = caseDir(root, name);
    await fs.rm(dir, { recursive: true, force: true });
    const data = path.join(dir, 'data');
    await fs.mkdir(data, { recursive: true });
    const c = await write(dir, data);
    out.push({ name, what, ...c });
  }
  await fs.rm(path.join(root, '_build'), { recursive: true, force: true });
  await fs.writeFile(path.join(root, 'cases.json'), JSON.stringify(out, null, 2) + '\n');
  return out;
}

/** A PNG with a valid signature and an IHDR of width 0, height 0 (its CRC correct, so decoders reach the size). */
function zeroSizePng(): Uint8Array {
  const png = Buffer.from(pngBytes(4, 0, false));
  png.writeUInt32BE(0, 16);
  png.writeUInt32BE(0, 20);
  png.writeUInt32BE(crc(png.subarray(12, 29)), 29);
  return png;
}

function crc(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

async function matBytes(root: string, opts: { n?: number; noImage?: boolean; label?: number } = {}): Promise<Uint8Array> {
  const n = opts.n ?? 5;
  const pid = String(100000 + Math.floor((n - 1) / 3));
  const label = opts.label ?? 1 + (Math.floor((n - 1) / 3) % 3);
  const h = 24;
  const w = 32;
  const rng = createRng(n);
  const image = Int16Array.from({ length: h * w }, (_, i) => Math.round(rng.next() * 500 + (label > 1 ? 300 : 0) + (i % w)));
  const vars: Parameters<typeof writeMatV73>[1] = {
    'cjdata/label': matDouble(label),
    'cjdata/PID': matText(pid),
    'cjdata/tumorBorder': matVar([1, 4], Float64Array.of(3, 4, 5, 6), 'double'),
    'cjdata/tumorMask': matVar([h, w], new Uint8Array(h * w), 'logical'),
  };
  if (!opts.noImage) vars['cjdata/image'] = matVar([h, w], image, 'int16');
  const file = path.join(root, '_build', `mat-${n}-${opts.noImage ? 'x' : ''}${label}.mat`);
  await writeMatV73(file, vars);
  return fs.readFile(file);
}
