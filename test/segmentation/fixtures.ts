// Small image/volume files generated on the fly for the segmentation tests (nothing committed).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import UTIF from 'utif';
import omggif from 'omggif';
import { PNG } from 'pngjs';
import { gzipSync } from 'fflate';

export async function writeTiff(file: string, rgb: Uint8Array, w: number, h: number): Promise<void> {
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
    rgba[4 * i + 3] = 255;
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, new Uint8Array(UTIF.encodeImage(rgba, w, h)));
}

/** Gray GIF: each value must be one of the palette's grays (palette = the distinct values, padded to 2^k). */
export async function writeGrayGif(file: string, gray: Uint8Array, w: number, h: number): Promise<void> {
  const vals = [...new Set(gray)].sort((a, b) => a - b);
  let n = 2;
  while (n < vals.length) n *= 2;
  const palette = Array.from({ length: n }, (_, i) => {
    const v = vals[Math.min(i, vals.length - 1)];
    return (v << 16) | (v << 8) | v;
  });
  const idx = Uint8Array.from(gray, (v) => vals.indexOf(v));
  const buf = new Uint8Array(w * h * 4 + 4096);
  const gw = new omggif.GifWriter(buf, w, h, { palette });
  gw.addFrame(0, 0, w, h, idx);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, buf.subarray(0, gw.end()));
}

export async function writeGrayPng(file: string, gray: Uint8Array, w: number, h: number): Promise<void> {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) png.data.set([gray[i], gray[i], gray[i], 255], 4 * i);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, PNG.sync.write(png));
}

/** Minimal NIfTI-1 (.nii or .nii.gz): sform = affine (code 2), qform 0, little endian. */
export async function writeNifti(file: string, dims: [number, number, number], data: Uint8Array | Int16Array | Float32Array, affine: number[]): Promise<void> {
  const [code, bitpix] = data instanceof Uint8Array ? [2, 8] : data instanceof Int16Array ? [4, 16] : [16, 32];
  const out = new Uint8Array(352 + data.byteLength);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, 348, true);
  [3, dims[0], dims[1], dims[2], 1, 1, 1, 1].forEach((d, i) => dv.setInt16(40 + 2 * i, d, true));
  dv.setInt16(70, code, true);
  dv.setInt16(72, bitpix, true);
  const sp = [0, 1, 2].map((j) => Math.hypot(affine[j], affine[4 + j], affine[8 + j]));
  [1, sp[0], sp[1], sp[2], 1, 1, 1, 1].forEach((d, i) => dv.setFloat32(76 + 4 * i, d, true));
  dv.setFloat32(108, 352, true);
  dv.setFloat32(112, 1, true);
  dv.setInt16(254, 2, true); // sform_code
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) dv.setFloat32(280 + 16 * r + 4 * c, affine[4 * r + c], true);
  out.set([0x6e, 0x2b, 0x31, 0], 344);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 352);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, file.endsWith('.gz') ? gzipSync(out) : out);
}
