import type { Image2D } from '../types.js';
import { decodeFrame, type DecodedDicomFrame } from './decode.js';
import { readMeta, type DicomMeta } from './meta.js';
import { parseDicomFile } from './parse.js';
import { assertWithinMemoryBudget, formatBytes } from '../../util/memory-budget.js';

/**
 * Rows × Columns × samples × frames, decoded to Float32 beside the stored bits: checked against
 * the memory budget before any frame is decoded, so a small (compressed) file declaring a huge
 * image is refused in one line instead of allocated.
 */
function assertFramesFit(meta: DicomMeta, frames: number): void {
  const values = meta.rows * meta.columns * meta.samplesPerPixel * frames;
  const need = values * (4 + Math.ceil(meta.bitsAllocated / 8));
  assertWithinMemoryBudget(meta.file, need, `${frames} frame(s) of ${meta.rows}×${meta.columns}${meta.samplesPerPixel > 1 ? `×${meta.samplesPerPixel}` : ''} at ${meta.bitsAllocated} bits (${formatBytes(need)} decoded)`);
}

/** A decoded DICOM image: its metadata and every frame. */
export interface DicomImage extends DicomMeta {
  /** One Image2D per frame (HWC). Grey: Float32 modality values (HU for CT); colour: RGB. See `decodeFrame`. */
  frames: Image2D[];
  /** Photometric interpretation of `frames` (not of the stored data, which is `photometricInterpretation`). */
  outputPhotometric: 'MONOCHROME2' | 'RGB';
  /** True when MONOCHROME1 data was mirrored so that higher values are brighter. */
  inverted: boolean;
}

/**
 * Metadata only: parsing stops at Pixel Data, so a series can be grouped and sorted before any
 * pixels are decoded. Throws a MedprobeError for files that are not images.
 */
export async function readDicomHeader(file: string): Promise<DicomMeta> {
  return readMeta(await parseDicomFile(file, { headerOnly: true }));
}

/** Read and decode one DICOM file (all frames). Throws a one-line MedprobeError on anything it cannot read. */
export async function readDicomFile(file: string): Promise<DicomImage> {
  const parsed = await parseDicomFile(file);
  const meta = readMeta(parsed);
  assertFramesFit(meta, meta.numberOfFrames);
  const frames: Image2D[] = [];
  let outputPhotometric: DicomImage['outputPhotometric'] = 'MONOCHROME2';
  let inverted = false;
  for (let i = 0; i < meta.numberOfFrames; i++) {
    const f = await decodeFrame(parsed, meta, i);
    frames.push(f.image);
    outputPhotometric = f.photometric;
    inverted = f.inverted;
  }
  return { ...meta, frames, outputPhotometric, inverted };
}

/** A parsed DICOM image whose frames are decoded only when asked for (large multi-frame files, previews). */
export interface OpenedDicom extends DicomMeta {
  frame(index: number): Promise<DecodedDicomFrame>;
}

/** Parse a file and check it is an image, without decoding any pixel data yet. */
export async function openDicomFile(file: string): Promise<OpenedDicom> {
  const parsed = await parseDicomFile(file);
  const meta = readMeta(parsed);
  assertFramesFit(meta, 1);
  return { ...meta, frame: (index: number) => decodeFrame(parsed, meta, index) };
}
