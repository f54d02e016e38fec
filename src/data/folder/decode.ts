import { promises as fs } from 'node:fs';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import type { Image2D } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import { cannotRead } from '../../util/fs-errors.js';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export type ImageFormat = 'png' | 'jpeg';

/** Format from the file's first bytes (extensions lie). */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** PNG bit depth from IHDR (byte 24), without decoding. */
function pngBitDepth(bytes: Uint8Array): number {
  return bytes.length > 25 ? bytes[24] : 0;
}

/**
 * 16-bit grey PNG (X-rays) through sharp with the grey16 colourspace made explicit: sharp's plain
 * raw({depth:'ushort'}) is wrong on grey16 (see decodePng16), but `toColourspace('grey16')` keeps
 * every value (0, 1, 4095, 65535 checked against pngjs in test/data/folder.test.ts), decodes in
 * libuv's pool — overlapping inference — and was 6.4× faster than pngjs here (docs/results/data.md).
 */
async function decodeGrey16(bytes: Uint8Array): Promise<Image2D> {
  const { data, info } = await sharp(bytes, { failOn: 'error' }).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`expected 1 channel from a grey16 PNG, got ${info.channels}`);
  return { kind: '2d', width: info.width, height: info.height, channels: 1, data: new Uint16Array(data.buffer, data.byteOffset, data.length / 2).slice() };
}

/**
 * Other 16-bit PNGs through pngjs: sharp's raw({depth:'ushort'}) output for grey16 is wrong (it returns
 * 3 channels rescaled to 8-bit values — checked with a 0/1/4095/65535 test image), and 16-bit
 * X-rays must keep their values. pngjs with skipRescale returns RGBA uint16; grey colour types
 * (0, 4) are reduced back to one channel, alpha is dropped.
 */
function decodePng16(bytes: Uint8Array): Image2D {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  const rgba = png.data as unknown as Uint16Array;
  const n = png.width * png.height;
  const grey = png.colorType === 0 || png.colorType === 4;
  const channels = grey ? 1 : 3;
  const data = new Uint16Array(n * channels);
  if (grey) for (let i = 0; i < n; i++) data[i] = rgba[4 * i];
  else
    for (let i = 0; i < n; i++) {
      data[3 * i] = rgba[4 * i];
      data[3 * i + 1] = rgba[4 * i + 1];
      data[3 * i + 2] = rgba[4 * i + 2];
    }
  return { kind: '2d', width: png.width, height: png.height, channels, data };
}

/** 8-bit PNG and JPEG through sharp (libvips with libpng and mozjpeg, a libjpeg-turbo fork — the decoder family PIL uses). No EXIF rotation, alpha dropped. */
async function decode8(bytes: Uint8Array): Promise<Image2D> {
  const img = sharp(bytes, { failOn: 'error' });
  const meta = await img.metadata();
  // sharp's raw output converts grey to 3-channel sRGB unless told otherwise; keep grey as 1 channel
  const grey = meta.channels !== undefined && meta.channels <= 2;
  const pipeline = grey ? img.removeAlpha().toColourspace('b-w') : img.removeAlpha();
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { kind: '2d', width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Decode PNG (8/16-bit, grey or colour) or JPEG bytes exactly; `file` names the source in errors. */
export async function decodeImage(bytes: Uint8Array, file: string): Promise<Image2D> {
  const fmt = sniffImageFormat(bytes);
  if (!fmt) {
    throw new MedprobeError(`${file} is not a PNG or JPEG image`, { file, hint: 'image folders take PNG/JPEG; use the DICOM/NIfTI sources for medical formats' });
  }
  try {
    // IHDR colour type (byte 25): 0 = grey without alpha
    if (fmt === 'png' && pngBitDepth(bytes) === 16) return bytes[25] === 0 ? await decodeGrey16(bytes) : decodePng16(bytes);
    return await decode8(bytes);
  } catch (e) {
    throw new MedprobeError(`cannot decode ${fmt.toUpperCase()} ${file}: ${(e as Error).message.split('\n')[0]}`, { file, hint: 'the file is truncated or corrupt; re-download it or skip it (onError: skip)', cause: e });
  }
}

export async function readImageFile(file: string): Promise<Image2D> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw cannotRead(file, e, 'image', 'fix its path in the CSV (relative to root) or drop the row; onError: skip leaves unreadable images out');
  }
  return decodeImage(bytes, file);
}
