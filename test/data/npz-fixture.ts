import { writeFile } from 'node:fs/promises';
import { zipSync, type Zippable } from 'fflate';
import { encodeNpy, type NpyData } from '../../src/util/npy.js';

/** Test fixtures only: an .npz (numpy.savez layout: one `<key>.npy` member per array) built with fflate. */
export type NpzArrays = Record<string, { data: NpyData; shape: number[] }>;

export function npzBytes(arrays: NpzArrays, opts: { level?: 0 | 6 } = {}): Uint8Array {
  const files: Zippable = {};
  for (const [key, a] of Object.entries(arrays)) files[`${key}.npy`] = [encodeNpy(a.data, a.shape), { level: opts.level ?? 6 }];
  return zipSync(files);
}

export async function writeNpz(file: string, arrays: NpzArrays, opts: { level?: 0 | 6 } = {}): Promise<Uint8Array> {
  const bytes = npzBytes(arrays, opts);
  await writeFile(file, bytes);
  return bytes;
}

/** A MedMNIST-shaped npz: `{split}_images` uint8 and `{split}_labels` uint8 [N, width]. */
export function medmnistArrays(opts: {
  counts: [number, number, number];
  imageShape: number[];
  labelWidth?: number;
  classes?: number;
  labelCounts?: [number, number, number];
}): NpzArrays {
  const out: NpzArrays = {};
  const per = opts.imageShape.reduce((a, b) => a * b, 1);
  const width = opts.labelWidth ?? 1;
  (['train', 'val', 'test'] as const).forEach((split, s) => {
    const n = opts.counts[s];
    const images = new Uint8Array(n * per);
    // Every image starts with its split index and sample index, so views can be checked.
    for (let i = 0; i < n; i++) {
      images[i * per] = s;
      images[i * per + 1] = i;
      for (let k = 2; k < per; k++) images[i * per + k] = (i * 7 + k) & 0xff;
    }
    const ln = opts.labelCounts?.[s] ?? n;
    const labels = new Uint8Array(ln * width);
    for (let i = 0; i < labels.length; i++) labels[i] = width > 1 ? (i * 5) % 3 === 0 ? 1 : 0 : i % (opts.classes ?? 2);
    out[`${split}_images`] = { data: images, shape: [n, ...opts.imageShape] };
    out[`${split}_labels`] = { data: labels, shape: [ln, width] };
  });
  return out;
}
