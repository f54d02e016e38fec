import { PNG } from 'pngjs';
import type { Image2D } from '../../data/types.js';
import { writeFileAtomic } from '../../util/atomic.js';

/**
 * Predicted masks are written in the dataset's own encoding (class k → the card's pixel value
 * for k), so a prediction can be opened next to the ground-truth file and diffed.
 */
export async function writeMaskPng(file: string, classes: Uint8Array, width: number, height: number, values: readonly number[]): Promise<void> {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  const gray = Buffer.alloc(width * height);
  for (let i = 0; i < gray.length; i++) gray[i] = values[classes[i]] ?? 0;
  png.data = gray;
  await writeFileAtomic(file, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}

/** Class colours for overlays (class 0 is never painted). */
const PALETTE: [number, number, number][] = [
  [0, 0, 0],
  [255, 40, 40],
  [40, 220, 40],
  [60, 120, 255],
  [255, 200, 0],
  [220, 60, 255],
  [0, 220, 220],
  [255, 130, 60],
];

/**
 * Three panels side by side: the image, the image with the ground truth painted on it, the
 * image with the prediction painted on it (class colours at 50%). Pixels outside the FOV
 * are dimmed in the two overlay panels so the scored region is visible.
 */
export async function writeSegmentationOverlay(file: string, image: Image2D, gt: Uint8Array, pred: Uint8Array, fov?: Uint8Array, ignore = 255): Promise<void> {
  const { width: w, height: h } = image;
  const png = new PNG({ width: 3 * w, height: h });
  const put = (panel: number, x: number, y: number, rgb: [number, number, number]) => {
    const o = (y * 3 * w + panel * w + x) * 4;
    png.data[o] = rgb[0];
    png.data[o + 1] = rgb[1];
    png.data[o + 2] = rgb[2];
    png.data[o + 3] = 255;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const s = i * image.channels;
      const base: [number, number, number] =
        image.channels === 1 ? [image.data[s], image.data[s], image.data[s]].map(Number) as [number, number, number] : [Number(image.data[s]), Number(image.data[s + 1]), Number(image.data[s + 2])];
      put(0, x, y, base);
      const dim = fov && fov[i] === 0 ? 0.4 : 1;
      for (const [panel, labels] of [[1, gt], [2, pred]] as const) {
        const k = labels[i];
        const c = k > 0 && k !== ignore ? PALETTE[1 + ((k - 1) % (PALETTE.length - 1))] : null;
        put(panel, x, y, base.map((v, j) => Math.round((c ? 0.5 * v + 0.5 * c[j] : v) * dim)) as [number, number, number]);
      }
    }
  }
  await writeFileAtomic(file, PNG.sync.write(png));
}

/** uint8 display copy of an image in any units (min–max over the image). */
export function toDisplay8(image: Image2D): Image2D {
  if (image.data instanceof Uint8Array) return image;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of image.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  return { ...image, data: Uint8Array.from(image.data, (v) => Math.round((v - lo) * scale)) };
}
