import { promises as fs } from 'node:fs';
import path from 'node:path';
import UTIF from 'utif';
import omggif from 'omggif';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { Image2D } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import { cannotRead } from '../../util/fs-errors.js';

/**
 * Decodes the 8-bit formats segmentation folders come in (DRIVE: TIFF images, GIF masks;
 * most others: PNG/JPEG) to an RGB or gray Image2D. Alpha is dropped; grayscale files stay 1-channel.
 */
export async function readImage8(file: string): Promise<Image2D> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw cannotRead(file, e, 'image', 'a 2D segmentation folder pairs images/ and masks/ by file name; restore the file or remove its partner');
  }
  const ext = path.extname(file).toLowerCase();
  try {
    if (ext === '.tif' || ext === '.tiff') {
      const ifds = UTIF.decode(bytes);
      UTIF.decodeImage(bytes, ifds[0], ifds);
      return fromRgba(UTIF.toRGBA8(ifds[0]), ifds[0].width, ifds[0].height);
    }
    if (ext === '.gif') {
      const r = new omggif.GifReader(bytes);
      const rgba = new Uint8Array(r.width * r.height * 4);
      r.decodeAndBlitFrameRGBA(0, rgba);
      return fromRgba(rgba, r.width, r.height);
    }
    if (ext === '.png') {
      const png = PNG.sync.read(Buffer.from(bytes));
      return fromRgba(png.data, png.width, png.height);
    }
    if (ext === '.jpg' || ext === '.jpeg') {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
      return fromRgba(j.data, j.width, j.height);
    }
  } catch (e) {
    throw new MedprobeError(`cannot decode ${file}: ${(e as Error).message.split('\n')[0]}`, { file, hint: 'the file is corrupt or not the format its extension says' });
  }
  throw new MedprobeError(`unsupported image format '${ext}': ${file}`, { file, hint: 'use .tif, .gif, .png or .jpg' });
}

/** RGBA → RGB, or → 1 channel when R = G = B everywhere (masks, grayscale scans). */
function fromRgba(rgba: Uint8Array, width: number, height: number): Image2D {
  const n = width * height;
  let gray = true;
  for (let i = 0; i < n && gray; i++) gray = rgba[4 * i] === rgba[4 * i + 1] && rgba[4 * i] === rgba[4 * i + 2];
  const channels = gray ? 1 : 3;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) data[i * channels + c] = rgba[4 * i + c];
  return { kind: '2d', width, height, channels, data };
}
