import { PNG } from 'pngjs';
import type { Image2D } from '../types.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { MedprobeError } from '../../util/errors.js';
import { readNiftiLabelMap } from './label-map.js';
import { readNifti } from './read.js';
import { fixedAxis, sliceCount, sliceVolume, type SliceAxis } from './slice.js';

/** Tableau-10 colours for labels 1, 2, …, cycling; label 0 is background and left transparent. */
const PALETTE: [number, number, number][] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

export interface OverlayOptions {
  /** Grey window [lo, hi] in image units (e.g. [−1024, 600] HU); default the slice's 1st–99th percentile. */
  window?: [number, number];
  /** Label opacity, 0–1 (default 0.45). */
  alpha?: number;
  /** Integer upscale (nearest neighbour); default makes the longer side at least 256 px. */
  scale?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
}

/**
 * Grey image with label colours blended on top, written as PNG (atomically). The label slice must
 * have the image's size; both come from slicing volumes on one grid with the same axis and index.
 */
export async function writeOverlayPng(file: string, image: Image2D, labels: Image2D | undefined, opts: OverlayOptions = {}): Promise<void> {
  if (labels && (labels.width !== image.width || labels.height !== image.height)) {
    throw new MedprobeError(`overlay ${file}: label slice is ${labels.width}×${labels.height} but the image is ${image.width}×${image.height}`, {
      file,
      hint: 'slice the image and label map along the same axis at the same index',
    });
  }
  const { width: w, height: h, channels: ch } = image;
  let [lo, hi] = opts.window ?? [0, 0];
  if (!opts.window) {
    const grey = new Float64Array(w * h);
    for (let i = 0; i < w * h; i++) grey[i] = image.data[i * ch];
    grey.sort();
    lo = percentile(grey, 0.01);
    hi = percentile(grey, 0.99);
  }
  const span = hi > lo ? hi - lo : 1;
  const alpha = opts.alpha ?? 0.45;
  const scale = Math.max(1, Math.floor(opts.scale ?? Math.ceil(256 / Math.max(w, h))));
  const png = new PNG({ width: w * scale, height: h * scale });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let rgb: number[];
      if (ch >= 3) rgb = [0, 1, 2].map((c) => Math.round(Math.min(1, Math.max(0, (image.data[i * ch + c] - lo) / span)) * 255));
      else {
        const g = Math.round(Math.min(1, Math.max(0, (image.data[i] - lo) / span)) * 255);
        rgb = [g, g, g];
      }
      const label = labels ? labels.data[i] : 0;
      if (label > 0) {
        const col = PALETTE[(Math.round(label) - 1) % PALETTE.length];
        rgb = rgb.map((v, c) => Math.round((1 - alpha) * v + alpha * col[c]));
      }
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const o = ((y * scale + dy) * w * scale + x * scale + dx) * 4;
          png.data[o] = rgb[0];
          png.data[o + 1] = rgb[1];
          png.data[o + 2] = rgb[2];
          png.data[o + 3] = 255;
        }
      }
    }
  }
  await writeFileAtomic(file, PNG.sync.write(png));
}

export interface RenderOverlayOptions extends OverlayOptions {
  axis?: SliceAxis;
  /** Slice index along the axis; default the middle slice. */
  index?: number;
}

/**
 * Read a NIfTI image and its label map (checked to share the grid), both reoriented to RAS+, and
 * write one slice as an overlay PNG. Returns what was drawn, for the CLI to print.
 */
export async function renderNiftiOverlay(
  imageFile: string,
  labelFile: string,
  outPng: string,
  opts: RenderOverlayOptions = {},
): Promise<{ axis: SliceAxis; index: number; width: number; height: number; labelledPixels: number }> {
  const image = await readNifti(imageFile);
  const labels = await readNiftiLabelMap(labelFile, image);
  const axis = opts.axis ?? 'axial';
  const n = sliceCount(image, axis);
  const index = opts.index ?? Math.floor(n / 2);
  if (!Number.isInteger(index) || index < 0 || index >= n) {
    throw new MedprobeError(`slice ${index} is outside ${imageFile} (${n} slices along axis ${fixedAxis(axis)})`, { file: imageFile, hint: `pick an index in 0..${n - 1}` });
  }
  const img = sliceVolume(image, axis, index);
  const lab = sliceVolume(labels, axis, index);
  await writeOverlayPng(outPng, img, lab, opts);
  let labelledPixels = 0;
  for (const v of lab.data) if (v > 0) labelledPixels++;
  return { axis, index, width: img.width, height: img.height, labelledPixels };
}
