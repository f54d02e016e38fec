/**
 * npm run bench:data — data-side throughput next to model inference, measured in the same run:
 *  1. decode + preprocess of 512×512 PNGs (8-bit grey via sharp, 16-bit grey via sharp's grey16 path) into CHW
 *     model input with the built-in recipes;
 *  2. per-volume recipe (ct-default / mri-default) + slice preprocessing of a real NIfTI volume
 *     (../shared/data/nifti/niivue, read with src/data/nifti) — or a synthetic Int16 volume when
 *     ../shared is absent (printed);
 *  3. our PyTorch-exact resize against sharp's resize on the same uint8 images (backs the comment
 *     in src/data/transforms/resize.ts);
 *  4. backbone inference img/s for the default model (../shared MobileNetV2-0.35, else the tiny CNN).
 * Ratios are printed so numbers from a busy shared machine are still comparable.
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import type { Volume3D } from '../src/data/types.js';
import { readImageFile } from '../src/data/folder/index.js';
import { compileRecipe, prepareVolume, type RecipeInput } from '../src/data/recipes/index.js';
import { resize } from '../src/data/transforms/index.js';
import { readNifti } from '../src/data/nifti/index.js';
import { openBackbone } from '../src/models/open.js';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../src/models/fixtures/tiny-cnn.js';
import { createRng } from '../src/util/random.js';

const N = Number(process.env.BENCH_N ?? 48);
const BATCH = 16;
const SIDE = 512;
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const shared = path.join(repo, '../shared');
const sharedCard = path.join(repo, 'examples/models/mobilenetv2-035-imagenet.yaml');
const sharedOnnx = path.join(shared, 'models/mobilenetv2-035-imagenet.onnx');
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-bench-data-'));

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/** Smooth field + noise, so PNG compression is realistic (not all-constant, not pure noise). */
function scan(seed: number, max: number): Float64Array {
  const rng = createRng(seed);
  const out = new Float64Array(SIDE * SIDE);
  const fx = 1 + rng.next() * 5;
  const fy = 1 + rng.next() * 5;
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++) out[y * SIDE + x] = Math.min(max, Math.max(0, (0.5 + 0.35 * Math.sin((fx * x + fy * y) / 60) + 0.05 * rng.normal()) * max));
  return out;
}

async function writePngs(bitDepth: 8 | 16): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < N; i++) {
    const v = scan(i, bitDepth === 8 ? 255 : 4095);
    const data = bitDepth === 8 ? Uint8Array.from(v, Math.round) : Uint16Array.from(v, Math.round);
    const buf = PNG.sync.write({ width: SIDE, height: SIDE, data } as unknown as PNG, { bitDepth, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    const f = path.join(tmp, `${bitDepth}-${i}.png`);
    await fs.writeFile(f, buf);
    files.push(f);
  }
  return files;
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
async function rate(n: number, fn: () => Promise<void>, rounds = 3): Promise<number> {
  await fn(); // warm-up
  const r: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const t0 = performance.now();
    await fn();
    r.push(n / ((performance.now() - t0) / 1000));
  }
  return median(r);
}

// --- model -----------------------------------------------------------------------------------
let cardPath = sharedCard;
if (!(await exists(sharedOnnx))) {
  await writeTinyCnnOnnx(path.join(tmp, 'tiny.onnx'), { size: 224 });
  await writeTinyCnnCard(path.join(tmp, 'tiny.yaml'), path.join(tmp, 'tiny.onnx'), { size: 224 });
  cardPath = path.join(tmp, 'tiny.yaml');
}
const backbone = await openBackbone({ card: cardPath });
const input = { ...backbone.card.input, size: backbone.inputSize };
const S = input.size;
const per = 3 * S * S;
const feature = backbone.features.includes('pooled') ? 'pooled' : backbone.features[0];
const batch = new Float32Array(BATCH * per);

// --- 2D PNGs ---------------------------------------------------------------------------------
const png8 = await writePngs(8);
const png16 = await writePngs(16);
const rec8 = compileRecipe('medmnist-default', input);
const xray16: RecipeInput = { name: 'xray16', steps: [{ op: 'min-max', bounds: 'image' }, { op: 'gray-to-rgb' }, { op: 'resize', interpolation: 'bilinear' }, { op: 'normalize' }] };
const rec16 = compileRecipe(xray16, input);

async function decodeAll(files: string[]): Promise<void> {
  for (const f of files) await readImageFile(f);
}
async function pipeline(files: string[], rec: typeof rec8): Promise<void> {
  for (let i = 0; i < files.length; i++) rec(await readImageFile(files[i]), batch, (i % BATCH) * per);
}
const dec8 = await rate(N, () => decodeAll(png8));
const full8 = await rate(N, () => pipeline(png8, rec8));
const dec16 = await rate(N, () => decodeAll(png16));
const full16 = await rate(N, () => pipeline(png16, rec16));

// --- resize: ours vs sharp on the same uint8 pixels -----------------------------------------
const raw8 = await Promise.all(png8.slice(0, 16).map((f) => readImageFile(f)));
const oursResize = await rate(raw8.length, async () => {
  for (const img of raw8) resize(img, { height: S, width: S }, 'bilinear');
});
const sharpResize = await rate(raw8.length, async () => {
  for (const img of raw8) await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } }).resize(S, S, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
});

// --- volume ----------------------------------------------------------------------------------
let volume: Volume3D;
let volumeName: string;
let volumeRecipe: 'ct-default' | 'mri-default' = 'ct-default';
const ctFile = path.join(shared, 'data/nifti/niivue/CT_AVM.nii.gz');
if (await exists(ctFile)) {
  volume = await readNifti(ctFile);
  volumeName = `CT_AVM.nii.gz (real CT, ${volume.width}×${volume.height}×${volume.depth}, ${volume.data.constructor.name})`;
} else {
  const n = 64 * 256 * 256;
  const rng = createRng(5);
  volume = { kind: '3d', width: 256, height: 256, depth: 64, data: Int16Array.from({ length: n }, () => rng.int(2600) - 1100) };
  volumeName = 'SYNTHETIC Int16 256×256×64 (../shared absent)';
}
let prepSeconds = 0;
const sliceRate = await rate(volume.depth, async () => {
  const t0 = performance.now();
  const pv = prepareVolume(volume, volumeRecipe, input, 'axial');
  prepSeconds = (performance.now() - t0) / 1000;
  for (let i = 0; i < pv.count; i++) pv.writeSlice(i, batch, (i % BATCH) * per);
});
const mrFile = path.join(shared, 'data/nifti/niivue/MR_Gd.nii.gz');
let mriLine = '';
if (await exists(mrFile)) {
  const mr = await readNifti(mrFile);
  volumeRecipe = 'mri-default';
  const mrRate = await rate(mr.depth, async () => {
    const pv = prepareVolume(mr, 'mri-default', input, 'axial');
    for (let i = 0; i < pv.count; i++) pv.writeSlice(i, batch, (i % BATCH) * per);
  });
  mriLine = `MR_Gd.nii.gz ${mr.width}×${mr.height}×${mr.depth} mri-default (5–95 % per volume): ${mrRate.toFixed(1)} slices/s`;
}

// --- inference -------------------------------------------------------------------------------
for (let j = 0; j < BATCH; j++) rec8(await readImageFile(png8[j]), batch, j * per);
const rounds = Math.max(1, Math.floor(N / BATCH));
const infer = await rate(rounds * BATCH, async () => {
  for (let r = 0; r < rounds; r++) await backbone.run(batch, BATCH, [feature]);
});

console.log(`model: ${backbone.card.name} (${S} px, ${backbone.runtime.name} ${backbone.runtime.version}), batch ${BATCH}, ${os.availableParallelism()} cores, load avg ${os.loadavg()[0].toFixed(1)}; medians of 3 rounds`);
console.log(`inference                                  : ${infer.toFixed(1)} img/s`);
console.log(`PNG 8-bit ${SIDE}² decode (sharp)               : ${dec8.toFixed(1)} img/s`);
console.log(`PNG 8-bit ${SIDE}² decode + medmnist-default    : ${full8.toFixed(1)} img/s   ratio to inference ${(full8 / infer).toFixed(2)}`);
console.log(`PNG 16-bit ${SIDE}² decode (sharp grey16)       : ${dec16.toFixed(1)} img/s`);
console.log(`PNG 16-bit ${SIDE}² decode + min-max recipe     : ${full16.toFixed(1)} img/s   ratio to inference ${(full16 / infer).toFixed(2)}`);
console.log(`resize ${SIDE}²→${S}² grey, ours (torch-exact)     : ${oursResize.toFixed(1)} img/s`);
console.log(`resize ${SIDE}²→${S}² grey, sharp 'linear'         : ${sharpResize.toFixed(1)} img/s   ours/sharp ${(oursResize / sharpResize).toFixed(2)}`);
console.log(`volume ${volumeName}`);
console.log(`  ct-default per-volume step ${prepSeconds.toFixed(2)} s, then slices: ${sliceRate.toFixed(1)} slices/s   ratio to inference ${(sliceRate / infer).toFixed(2)}`);
if (mriLine) console.log(`  ${mriLine}`);
await backbone.dispose();
await fs.rm(tmp, { recursive: true, force: true });
