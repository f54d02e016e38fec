import type { Image2D } from '../../data/types.js';

/**
 * Images larger than the backbone input are cut into input-sized tiles at native resolution
 * (thin structures such as retinal vessels vanish if the whole image is shrunk to 224 px),
 * and tile probabilities are averaged back where tiles overlap. Tiles are spread evenly so
 * the last one ends at the image edge; an image smaller than a tile is zero-padded and the
 * padding is marked invalid (never trained on, cropped away at stitching).
 */
export interface TileOrigin {
  x: number;
  y: number;
}

export function tileStarts(size: number, tile: number): number[] {
  if (size <= tile) return [0];
  const count = Math.ceil(size / tile);
  return Array.from({ length: count }, (_, i) => Math.round((i * (size - tile)) / (count - 1)));
}

export function tileOrigins(width: number, height: number, tile: number): TileOrigin[] {
  const out: TileOrigin[] = [];
  for (const y of tileStarts(height, tile)) for (const x of tileStarts(width, tile)) out.push({ x, y });
  return out;
}

/** Copies a tile × tile window of a per-pixel array (any channel count), zero outside the image. */
export function cropPlane<T extends Uint8Array | Float32Array>(src: T, width: number, height: number, channels: number, o: TileOrigin, tile: number, make: (n: number) => T): T {
  const out = make(tile * tile * channels);
  const w = Math.min(tile, width - o.x);
  const h = Math.min(tile, height - o.y);
  for (let y = 0; y < h; y++) {
    const s = ((o.y + y) * width + o.x) * channels;
    out.set(src.subarray(s, s + w * channels) as never, y * tile * channels);
  }
  return out;
}

/** 1 inside the image, 0 on padding. */
export function tileInside(width: number, height: number, o: TileOrigin, tile: number): Uint8Array {
  const out = new Uint8Array(tile * tile);
  const w = Math.min(tile, width - o.x);
  const h = Math.min(tile, height - o.y);
  for (let y = 0; y < h; y++) out.fill(1, y * tile, y * tile + w);
  return out;
}

/**
 * One tile as the backbone input [3, tile, tile]: (v·rescale − mean) / std per channel;
 * gray images are repeated to 3 channels. Padding gets the normalised value of 0.
 */
export function tileInput(image: Image2D, o: TileOrigin, tile: number, norm: { rescale: number; mean: readonly number[]; std: readonly number[] }, out: Float32Array, offset: number): void {
  const { width, height, channels } = image;
  const plane = tile * tile;
  for (let c = 0; c < 3; c++) {
    const zero = -norm.mean[c] / norm.std[c];
    out.fill(zero, offset + c * plane, offset + (c + 1) * plane);
  }
  const w = Math.min(tile, width - o.x);
  const h = Math.min(tile, height - o.y);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = ((o.y + y) * width + o.x + x) * channels;
      for (let c = 0; c < 3; c++) {
        const v = image.data[s + (channels === 1 ? 0 : c)];
        out[offset + c * plane + y * tile + x] = (v * norm.rescale - norm.mean[c]) / norm.std[c];
      }
    }
  }
}

/** Accumulates tile probabilities [K, tile, tile] into an image-sized map and averages overlaps. */
export class TileStitcher {
  private readonly sum: Float32Array;
  private readonly count: Uint16Array;
  constructor(
    readonly width: number,
    readonly height: number,
    readonly classes: number,
  ) {
    this.sum = new Float32Array(classes * width * height);
    this.count = new Uint16Array(width * height);
  }

  add(probs: Float32Array, offset: number, o: TileOrigin, tile: number): void {
    const w = Math.min(tile, this.width - o.x);
    const h = Math.min(tile, this.height - o.y);
    const plane = this.width * this.height;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = (o.y + y) * this.width + o.x + x;
        this.count[p]++;
        for (let k = 0; k < this.classes; k++) this.sum[k * plane + p] += probs[offset + (k * tile + y) * tile + x];
      }
    }
  }

  /** Class probabilities [K, H, W]. */
  result(): Float32Array {
    const plane = this.width * this.height;
    const out = new Float32Array(this.sum.length);
    for (let p = 0; p < plane; p++) {
      const c = this.count[p] || 1;
      for (let k = 0; k < this.classes; k++) out[k * plane + p] = this.sum[k * plane + p] / c;
    }
    return out;
  }
}

/** Per-pixel argmax over classes of a [K, H·W] probability map. */
export function argmaxClasses(probs: Float32Array, classes: number, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) {
    let best = 0;
    let bv = probs[p];
    for (let k = 1; k < classes; k++) {
      const v = probs[k * pixels + p];
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    out[p] = best;
  }
  return out;
}
