import path from 'node:path';
import type { NiftiSegPair } from '../../data/segmentation/nifti-pair.js';
import type { SegCase2D } from '../../data/segmentation/types.js';
import { resize } from '../../data/transforms/resize.js';
import { writeNifti } from '../../data/nifti/write.js';
import { restoreSourceOrder } from '../../data/nifti/orientation.js';
import type { DecoderEngine } from '../../engine/seg/decoder-engine.js';
import type { GridShape } from '../../engine/seg/decoder-spec.js';
import type { GridBackbone } from '../../models/backbone.js';
import { caseOverlap, type CaseOverlap, type EmptyTruthPolicy } from '../../metrics/seg-case.js';
import { addOverlapCounts, emptyOverlapCounts, type OverlapCounts } from '../../metrics/segmentation.js';
import { MedprobeError } from '../../util/errors.js';
import { createProgress } from '../../util/progress.js';
import { toDisplay8, writeMaskPng, writeSegmentationOverlay } from './outputs.js';
import { TileStitcher, argmaxClasses, cropPlane, tileInput, tileInside, tileOrigins, type TileOrigin } from './tiling.js';
import { IGNORE_LABEL, type SegFeatureSet } from './train.js';
import { getSlice, putSlice, sliceGeometry, sliceImage, volumeTo255, CT_WINDOW, MRI_PERCENTILES, type SegSliceAxis } from './volume-slices.js';

export type SegSplitName = 'train' | 'val' | 'test';

/** A loaded case: a 2D image with its mask (and FOV), or a NIfTI volume with its label map. */
export type LoadedSegCase = SegCase2D | NiftiSegPair;

const is3D = (c: LoadedSegCase): c is NiftiSegPair => 'labelMap' in c;

/**
 * How cases become decoder items. 2D images are cut into input-sized tiles at native resolution
 * (thin vessels vanish when a fundus image is shrunk), decoded at tile size and stitched back.
 * 3D volumes are cut into slices along `axis`, each resized (bilinear) to the backbone input;
 * labels are resized (nearest) to it for training, and predicted probabilities are resized
 * (bilinear) back to the native slice before argmax, so each volume is scored on its own grid.
 */
export interface SegLayout {
  dims: 2 | 3;
  /** Backbone input size = decoder output size. */
  size: number;
  axis: SegSliceAxis;
  intensity?: 'ct' | 'mri';
  norm: { rescale: number; mean: readonly number[]; std: readonly number[] };
}

/** A split's items in case order: their training labels and validity at decoder size, and where each came from. */
export interface SegItems {
  n: number;
  labels: Uint8Array;
  valid: Uint8Array;
  size: number;
  /** Case index of each item. */
  owner: Int32Array;
  /** 2D: tile origin of each item; 3D: slice index. */
  origin: (TileOrigin | number)[];
}

function nearestResize(src: Uint8Array, h: number, w: number, size: number): Uint8Array {
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / size));
    for (let x = 0; x < size; x++) out[y * size + x] = src[sy * w + Math.min(w - 1, Math.floor(((x + 0.5) * w) / size))];
  }
  return out;
}

function intensityOf(layout: SegLayout) {
  return layout.intensity === 'ct' ? CT_WINDOW : MRI_PERCENTILES;
}

/** Items of the cases (labels and validity only; no backbone). */
export function segItems(cases: readonly LoadedSegCase[], layout: SegLayout): SegItems {
  const S = layout.size;
  const plane = S * S;
  const owner: number[] = [];
  const origin: (TileOrigin | number)[] = [];
  cases.forEach((c, ci) => {
    if (is3D(c)) {
      if (layout.dims !== 3) throw new Error('a volume in a 2D layout');
      const g = sliceGeometry(c.image, layout.axis);
      for (let s = 0; s < g.count; s++) (owner.push(ci), origin.push(s));
    } else {
      for (const o of tileOrigins(c.image.width, c.image.height, S)) (owner.push(ci), origin.push(o));
    }
  });
  const n = owner.length;
  const labels = new Uint8Array(n * plane);
  const valid = new Uint8Array(n * plane);
  for (let i = 0; i < n; i++) {
    const c = cases[owner[i]];
    if (is3D(c)) {
      const g = sliceGeometry(c.image, layout.axis);
      const lab = new Uint8Array(g.height * g.width);
      getSlice(c.image, c.labels, layout.axis, origin[i] as number, lab);
      labels.set(nearestResize(lab, g.height, g.width, S), i * plane);
      valid.fill(1, i * plane, (i + 1) * plane);
    } else {
      const o = origin[i] as TileOrigin;
      const lab = cropPlane(c.mask, c.image.width, c.image.height, 1, o, S, (k) => new Uint8Array(k));
      const inside = tileInside(c.image.width, c.image.height, o, S);
      const fov = c.fov ? cropPlane(c.fov, c.image.width, c.image.height, 1, o, S, (k) => new Uint8Array(k)) : null;
      for (let p = 0; p < plane; p++) valid[i * plane + p] = inside[p] && (!fov || fov[p]) && lab[p] !== IGNORE_LABEL ? 1 : 0;
      labels.set(lab, i * plane);
    }
  }
  return { n, labels, valid, size: S, owner: Int32Array.from(owner), origin };
}

/**
 * Runs the frozen backbone once over every item and keeps the maps (deepest first): [n, C, h, w]
 * per map. Refuses a map that is not a spatial grid, which no decoder can read.
 */
export async function extractSegGrids(cases: readonly LoadedSegCase[], items: SegItems, layout: SegLayout, backbone: GridBackbone, maps: readonly string[], opts: { batchSize?: number; label?: string; onTick?: (items: number) => void; suffix?: () => string } = {}): Promise<{ grids: Float32Array[]; shapes: GridShape[] }> {
  const S = layout.size;
  const batchSize = opts.batchSize ?? 16;
  const per = 3 * S * S;
  const batch = new Float32Array(batchSize * per);
  let grids: Float32Array[] = [];
  let shapes: GridShape[] = [];
  const scaled = new Map<number, Float32Array>();
  const progress = createProgress(opts.label ?? 'segmentation features', items.n, layout.dims === 3 ? 'slice' : 'tile', opts.suffix ? { suffix: opts.suffix } : {});
  try {
    for (let s = 0; s < items.n; s += batchSize) {
      const m = Math.min(batchSize, items.n - s);
      for (let b = 0; b < m; b++) {
        const ci = items.owner[s + b];
        const c = cases[ci];
        if (is3D(c)) {
          if (!scaled.has(ci)) {
            scaled.clear(); // cases are contiguous: one volume's scaled copy alive at a time
            scaled.set(ci, volumeTo255(c.image, intensityOf(layout)));
          }
          tileInput(sliceImage(c.image, scaled.get(ci)!, layout.axis, items.origin[s + b] as number, S).input, { x: 0, y: 0 }, S, layout.norm, batch, b * per);
        } else {
          tileInput(c.image, items.origin[s + b] as TileOrigin, S, layout.norm, batch, b * per);
        }
      }
      const out = await backbone.runGrid(m === batchSize ? batch : batch.slice(0, m * per), m, maps);
      if (s === 0) {
        for (const k of maps) {
          if (out[k].dims.length !== 4) {
            throw new MedprobeError(`feature map '${k}' of ${backbone.card.name} has shape [${out[k].dims.join(', ')}], not a spatial grid [N, C, h, w]`, {
              hint: 'a segmentation decoder reads spatial maps: pick block refs (block:-1) or convolutional stage outputs with `maps`',
            });
          }
        }
        shapes = maps.map((k) => ({ channels: out[k].dims[1], height: out[k].dims[2], width: out[k].dims[3] }));
        grids = shapes.map((sh) => new Float32Array(items.n * sh.channels * sh.height * sh.width));
      }
      maps.forEach((k, l) => grids[l].set(out[k].data, s * shapes[l].channels * shapes[l].height * shapes[l].width));
      opts.onTick?.(m);
      progress.tick(m);
    }
  } finally {
    progress.stop();
  }
  return { grids, shapes };
}

/** The decoder's training set: items restricted to `keep` (indices of items), with their grids. */
export function segFeatureSet(items: SegItems, grids: Float32Array[], shapes: GridShape[], keep?: Int32Array): SegFeatureSet {
  const plane = items.size * items.size;
  if (!keep) return { n: items.n, grids, shapes, labels: items.labels, valid: items.valid, height: items.size, width: items.size };
  const take = (src: Float32Array | Uint8Array, per: number) => {
    const out = new (src.constructor as Float32ArrayConstructor | Uint8ArrayConstructor)(keep.length * per);
    keep.forEach((i, j) => out.set(src.subarray(i * per, (i + 1) * per) as never, j * per));
    return out;
  };
  return {
    n: keep.length,
    grids: grids.map((g, l) => take(g, shapes[l].channels * shapes[l].height * shapes[l].width) as Float32Array),
    shapes,
    labels: take(items.labels, plane) as Uint8Array,
    valid: take(items.valid, plane) as Uint8Array,
    height: items.size,
    width: items.size,
  };
}

export interface ScoredCase extends CaseOverlap {
  id: string;
  /** The case's pixel (voxel) counts per class, for pooled scores over a split. */
  counts: OverlapCounts;
  /** Written prediction (mask PNG or NIfTI), when an output folder was given. */
  file?: string;
  /** 2D: image | truth | prediction PNG, for the first OVERLAY_CASES cases of an output folder. */
  overlay?: string;
}

/** 2D cases (in split order) that also get an overlay PNG when predictions are written: enough to look at, few enough to keep results small. */
export const OVERLAY_CASES = 4;

/**
 * Predicts every item, reassembles each case at its native grid (2D: tiles averaged; 3D: slices
 * resized back and stacked) and scores it as ONE case (a volume in 3D, not slice by slice).
 * With `outDir`, writes each case's predicted label map (2D PNG with the dataset's values; 3D
 * NIfTI on the label map's grid).
 */
export async function predictAndScore(
  engine: DecoderEngine,
  cases: readonly LoadedSegCase[],
  items: SegItems,
  grids: Float32Array[],
  shapes: GridShape[],
  layout: SegLayout,
  opts: { emptyTruth: EmptyTruthPolicy; outDir?: string; maskValues?: readonly number[]; batchSize?: number },
): Promise<ScoredCase[]> {
  const K = engine.spec.classes;
  const S = layout.size;
  const batchSize = opts.batchSize ?? 16;
  const out: ScoredCase[] = [];
  let t = 0;
  for (let ci = 0; ci < cases.length; ci++) {
    const c = cases[ci];
    const first = t;
    while (t < items.n && items.owner[t] === ci) t++;
    const counts = emptyOverlapCounts(K);
    const probsOf = async (s: number, m: number) =>
      engine.predict(
        shapes.map((sh, l) => {
          const per = sh.channels * sh.height * sh.width;
          return grids[l].slice(s * per, (s + m) * per);
        }),
        m,
      );
    let file: string | undefined;
    let overlay: string | undefined;
    if (is3D(c)) {
      const g = sliceGeometry(c.image, layout.axis);
      const plane = g.height * g.width;
      const predVol = new Uint8Array(c.image.width * c.image.height * c.image.depth);
      const gt = new Uint8Array(plane);
      const native = new Float32Array(K * plane);
      for (let s = first; s < t; s += batchSize) {
        const m = Math.min(batchSize, t - s);
        const probs = await probsOf(s, m);
        for (let b = 0; b < m; b++) {
          const slice = items.origin[s + b] as number;
          for (let k = 0; k < K; k++) {
            const src = probs.subarray((b * K + k) * S * S, (b * K + k + 1) * S * S);
            const r = g.width === S && g.height === S ? src : (resize({ kind: '2d', width: S, height: S, channels: 1, data: src }, { width: g.width, height: g.height }, 'bilinear').data as Float32Array);
            native.set(r, k * plane);
          }
          const pred = argmaxClasses(native, K, plane);
          getSlice(c.image, c.labels, layout.axis, slice, gt);
          addOverlapCounts(counts, pred, gt);
          putSlice(c.image, predVol, layout.axis, slice, pred);
        }
      }
      if (opts.outDir) {
        file = path.join(opts.outDir, `${c.id}.nii.gz`);
        // On the label map's grid as stored (its voxel order and affine, not the RAS+ copy we computed on), so the
        // prediction and the label file compare voxel by voxel in any tool.
        const lm = c.labelMap;
        const [w, h, d] = lm.sourceShape;
        const stored = restoreSourceOrder(Uint8Array.from(predVol, (k) => c.values[k]), lm.sourceShape, lm.reorientation, (n) => new Uint8Array(n));
        await writeNifti(file, { kind: '3d', width: w, height: h, depth: d, data: stored }, lm.sourceAffine);
      }
    } else {
      const { width, height } = c.image;
      const stitch = new TileStitcher(width, height, K);
      for (let s = first; s < t; s += batchSize) {
        const m = Math.min(batchSize, t - s);
        const probs = await probsOf(s, m);
        for (let b = 0; b < m; b++) stitch.add(probs, b * K * S * S, items.origin[s + b] as TileOrigin, S);
      }
      const pixels = width * height;
      const pred = argmaxClasses(stitch.result(), K, pixels);
      const scored = new Uint8Array(pixels);
      const gt = new Uint8Array(pixels);
      for (let p = 0; p < pixels; p++) {
        const keep = c.mask[p] !== IGNORE_LABEL && (!c.fov || c.fov[p] !== 0);
        scored[p] = keep ? 1 : 0;
        gt[p] = keep ? c.mask[p] : 0;
        if (c.fov && c.fov[p] === 0) pred[p] = 0;
      }
      addOverlapCounts(counts, pred, gt, scored);
      if (opts.outDir) {
        file = path.join(opts.outDir, `${c.id}.png`);
        await writeMaskPng(file, pred, width, height, opts.maskValues ?? Array.from({ length: K }, (_, k) => k));
        if (ci < OVERLAY_CASES) {
          overlay = path.join(opts.outDir, 'overlays', `${c.id}.png`);
          await writeSegmentationOverlay(overlay, toDisplay8(c.image), c.mask, pred, c.fov, IGNORE_LABEL);
        }
      }
    }
    out.push({ id: c.id, counts, ...caseOverlap(counts, opts.emptyTruth), ...(file ? { file } : {}), ...(overlay ? { overlay } : {}) });
  }
  return out;
}

/** Marks in `seen` the classes that occur in a case (2D: inside the FOV, ignore labels left out; 3D: every voxel). */
export function markClassesSeen(c: LoadedSegCase, seen: Uint8Array): void {
  const labels = is3D(c) ? c.labels : c.mask;
  const fov = is3D(c) ? undefined : c.fov;
  for (let i = 0; i < labels.length; i++) if ((!fov || fov[i]) && labels[i] < seen.length) seen[labels[i]] = 1;
}

/** Refuses a training split in which some foreground class never occurs (`seen` from markClassesSeen or the items): the decoder could not learn it. */
export function refuseUnseenClasses(seen: Uint8Array, classes: readonly string[], where: string, dims: 2 | 3): void {
  const missing = classes.filter((_, k) => k > 0 && !seen[k]);
  if (missing.length) {
    throw new MedprobeError(`${where}: class ${missing.map((m) => `'${m}'`).join(', ')} occurs in no training ${dims === 3 ? 'volume' : 'image'}`, {
      hint: 'a decoder cannot learn a class it never sees: add training cases that contain it, or drop it from `classes`',
    });
  }
}

/** refuseUnseenClasses on a split's items as the decoder sees them (at decoder size, valid pixels only). */
export function assertClassesPresent(items: SegItems, classes: readonly string[], where: string): void {
  const seen = new Uint8Array(classes.length);
  for (let i = 0; i < items.labels.length; i++) if (items.valid[i] && items.labels[i] < classes.length) seen[items.labels[i]] = 1;
  refuseUnseenClasses(seen, classes, where, items.origin.length && typeof items.origin[0] === 'number' ? 3 : 2);
}
