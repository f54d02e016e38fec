/**
 * Small segmentation fixtures for suite tests: a DRIVE-layout folder (TIFF, GIF masks and FOV),
 * MSD-style NIfTI image/label pairs, the tiny ViT and its card, and suite entries over them,
 * all written into a caller-owned temp dir.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeTinyVitCard, writeTinyVitOnnx } from '../../src/models/fixtures/tiny-vit.js';
import { createRng } from '../../src/util/random.js';
import { writeGrayGif, writeNifti, writeTiff } from '../segmentation/fixtures.js';

export const VIT = { size: 32, patchSize: 8, dim: 16, depth: 4, heads: 2 } as const;

/** The tiny ViT as `<name>.onnx` + card `<name>.json` in `dir` (the card's model name: tiny-vit). */
export async function writeVit(dir: string, opts: Partial<Record<keyof typeof VIT, number>> = {}, name = 'vit'): Promise<void> {
  const o = { ...VIT, ...opts };
  await writeTinyVitOnnx(path.join(dir, `${name}.onnx`), o);
  await writeTinyVitCard(path.join(dir, `${name}.json`), path.join(dir, `${name}.onnx`), o);
}

/** DRIVE as distributed, small: bright curved "vessels" on a dark fundus, a circular FOV. */
export async function writeDriveLike(root: string, counts: { training: number; test: number }, w = 40, h = 36): Promise<void> {
  const rng = createRng(7);
  for (const split of ['training', 'test'] as const) {
    for (let i = 0; i < counts[split]; i++) {
      const id = String(i + 1 + (split === 'test' ? 0 : 20)).padStart(2, '0');
      const vessel = new Uint8Array(w * h);
      const fov = new Uint8Array(w * h);
      const rgb = new Uint8Array(w * h * 3);
      const a = 5 + rng.int(h - 10);
      const b = 3 + rng.int(w - 6);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const p = y * w + x;
          fov[p] = (x - w / 2) ** 2 + (y - h / 2) ** 2 < (0.48 * w) ** 2 ? 255 : 0;
          const onVessel = Math.abs(y - a - Math.round(3 * Math.sin(x / 5))) <= 1 || Math.abs(x - b) <= 1;
          vessel[p] = onVessel ? 255 : 0;
          const v = onVessel ? 190 + rng.int(50) : 30 + rng.int(50);
          rgb.set([v, Math.max(0, v - 20), Math.max(0, v - 40)], 3 * p);
        }
      await writeTiff(path.join(root, split, 'images', `${id}_${split}.tif`), rgb, w, h);
      await writeGrayGif(path.join(root, split, '1st_manual', `${id}_manual1.gif`), vessel, w, h);
      await writeGrayGif(path.join(root, split, 'mask', `${id}_${split}_mask.gif`), fov, w, h);
    }
  }
}

/**
 * MSD-style imagesTr/labelsTr pairs: a bright ellipsoid (label 1) in noisy MRI-like volumes.
 * `nanAt` poisons one voxel of that case; `offGridAt` shifts that case's label map by 3 mm, off the image grid.
 */
export async function writeVolumes(root: string, ids: readonly string[], opts: { nanAt?: string; offGridAt?: string } = {}): Promise<void> {
  const [nx, ny, nz] = [20, 18, 6];
  const rng = createRng(11);
  const affine = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0];
  for (const id of ids) {
    const img = new Float32Array(nx * ny * nz);
    const lab = new Uint8Array(nx * ny * nz);
    const cx = 7 + rng.int(6), cy = 6 + rng.int(6);
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++)
        for (let x = 0; x < nx; x++) {
          const i = (z * ny + y) * nx + x;
          const inside = ((x - cx) / 5) ** 2 + ((y - cy) / 4) ** 2 + ((z - 2.5) / 2.5) ** 2 < 1;
          lab[i] = inside ? 1 : 0;
          img[i] = (inside ? 800 : 200) + rng.int(150);
        }
    if (opts.nanAt === id) img[5] = Number.NaN;
    await writeNifti(path.join(root, 'imagesTr', `${id}.nii.gz`), [nx, ny, nz], img, affine);
    await writeNifti(path.join(root, 'labelsTr', `${id}.nii.gz`), [nx, ny, nz], lab, opts.offGridAt === id ? affine.map((v, i) => (i === 3 ? v + 3 : v)) : affine);
  }
}

export const VOLUMES = { train: ['vol_001', 'vol_002', 'vol_003'], val: ['vol_004'], test: ['vol_005', 'vol_006'] } as const;
export const VOLUME_IDS: readonly string[] = Object.values(VOLUMES).flat();

/** Suite entry of a `writeDriveLike` folder at `root` (relative to the suite), 2 training images for val. */
export const driveEntry = (root = 'drive') => ({ source: 'segmentation', name: 'drive', format: 'drive', root, val: 2 });

/** Suite entry of a `writeVolumes` folder at `root` (relative to the suite), split as VOLUMES. */
export const pairsEntry = (root: string) => ({
  source: 'segmentation',
  name: 'vols',
  format: 'pairs',
  root,
  modality: 'MRI',
  classes: ['background', 'organ'],
  pairs: (Object.entries(VOLUMES) as [string, readonly string[]][]).flatMap(([split, ids]) => ids.map((id) => ({ image: `imagesTr/${id}.nii.gz`, labels: `labelsTr/${id}.nii.gz`, split }))),
});

/** Decoders small enough for tests: two lrs each, a few epochs. */
export const SMALL_SEG_PROTOCOLS = {
  'seg-linear': { lr: [1e-2, 5e-2], epochs: 4, batchSize: 8 },
  'seg-unet': { lr: [1e-2, 5e-3], epochs: 3, batchSize: 8, widths: [8, 8, 8, 8] },
};

/** The suite object (seed 3, cache/ and results/ beside it) that parseSuite reads or a suite file holds. */
export function segSuiteObject(datasets: unknown[], protocols: Record<string, unknown> = SMALL_SEG_PROTOCOLS, card = 'vit.json'): Record<string, unknown> {
  return { name: 'seg', seed: 3, cacheDir: 'cache', resultsDir: 'results', bootstrap: { resamples: 40 }, models: [{ card }], datasets, protocols };
}

/** `segSuiteObject` as a suite file (JSON is YAML) for `medprobe run`. */
export async function writeSegSuite(file: string, datasets: unknown[], protocols?: Record<string, unknown>, card?: string): Promise<void> {
  await fs.writeFile(file, JSON.stringify(segSuiteObject(datasets, protocols, card), null, 2) + '\n');
}

/**
 * What the seg resume and queue tests run: the tiny ViT, a DRIVE-like folder (5 training, 2 test)
 * and the NIfTI volumes, with seg-linear, seg-unet and seg-fewshot in `suite.yaml` (6 units).
 */
export async function writeSegRunFixture(dir: string): Promise<void> {
  await writeVit(dir);
  await writeDriveLike(path.join(dir, 'drive'), { training: 5, test: 2 });
  await writeVolumes(path.join(dir, 'msd'), VOLUME_IDS);
  await writeSegSuite(path.join(dir, 'suite.yaml'), [driveEntry(), pairsEntry('msd')], {
    ...SMALL_SEG_PROTOCOLS,
    'seg-fewshot': { lr: [1e-2, 5e-2], epochs: 2, batchSize: 8, shots: [1, 2], tries: 2 },
  });
}
