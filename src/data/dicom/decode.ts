import dicomParser, { type DataSet, type Element } from 'dicom-parser';
import type { Image2D } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import { decodeJpeg2000, decodeJpegBaseline, decodeJpegLossless, decodeJpegLs, type DecodedFrame } from './codecs.js';
import { expandYbr422, planarToInterleaved, ybrFullToRgbInPlace } from './color.js';
import type { DicomMeta } from './meta.js';
import type { ParsedDicom } from './parse.js';
import { decodeRleFrame } from './rle.js';
import { transferSyntax, transferSyntaxName, type PixelCodec } from './transfer-syntax.js';

type RawSamples = Uint8Array | Uint16Array | Int16Array | Uint32Array;

/** What one decoded frame looks like and how it was produced from the stored pixels. */
export interface DecodedDicomFrame {
  image: Image2D;
  /** Photometric interpretation of `image`: grey frames are MONOCHROME2-like (higher = brighter), colour frames RGB. */
  photometric: 'MONOCHROME2' | 'RGB';
  /** True when the stored data was MONOCHROME1 and was mirrored (see `invertMonochrome1`). */
  inverted: boolean;
}

export function unsupportedSyntax(meta: DicomMeta): MedprobeError {
  const uid = meta.transferSyntaxUID;
  return new MedprobeError(`unsupported transfer syntax ${uid} (${transferSyntaxName(uid)}) in ${meta.file}`, {
    file: meta.file,
    hint: 'convert it to an uncompressed or JPEG/JPEG-LS/JPEG 2000/RLE syntax first, e.g. `gdcmconv --raw in.dcm out.dcm` or `dcmconv +te`',
  });
}

/**
 * Decode frame `index` of an image. Grey frames come back as Float32 modality values (stored value
 * masked to BitsStored, sign-extended when PixelRepresentation is 1, then × RescaleSlope +
 * RescaleIntercept: Hounsfield units for CT), with MONOCHROME1 mirrored so that higher is brighter.
 * Colour frames come back as RGB, interleaved, in the stored sample type (Uint8 for 8-bit, Uint16
 * for 16-bit, Float32 for 32-bit); YBR_FULL/YBR_FULL_422 are converted, YBR_RCT/ICT come out of the
 * JPEG 2000 codec as RGB already, and JPEG baseline colour is RGB after libjpeg's colour transform.
 */
export async function decodeFrame(parsed: ParsedDicom, meta: DicomMeta, index: number): Promise<DecodedDicomFrame> {
  if (index < 0 || index >= meta.numberOfFrames) throw new RangeError(`frame ${index} out of range 0..${meta.numberOfFrames - 1}`);
  const codec = transferSyntax(meta.transferSyntaxUID)?.codec;
  if (!codec) throw unsupportedSyntax(meta);
  if (meta.photometricInterpretation === 'PALETTE COLOR') {
    throw new MedprobeError(`${meta.file} uses PALETTE COLOR, which medprobe does not expand`, {
      file: meta.file,
      hint: 'convert it to RGB first, e.g. `dcmconv` or `gdcmconv --raw --photometric-interpretation RGB`',
    });
  }
  const el = parsed.dataSet.elements.x7fe00010;
  let raw: RawSamples;
  let photometric = meta.photometricInterpretation;
  try {
    if (codec === 'native' || codec === 'native-big-endian' || codec === 'deflate') {
      raw = nativeFrame(parsed.dataSet, el, meta, index, codec === 'native-big-endian');
      if (photometric === 'YBR_FULL_422' && meta.samplesPerPixel === 3) {
        raw = expandYbr422(raw, meta.rows, meta.columns);
        photometric = 'YBR_FULL';
      } else if (meta.samplesPerPixel > 1 && meta.planarConfiguration === 1) {
        raw = planarToInterleaved(raw, meta.samplesPerPixel);
      }
    } else {
      const bytes = encapsulatedFrame(parsed.dataSet, el, meta, index, codec);
      const decoded = await decodeCompressed(codec, bytes, meta);
      raw = decoded.samples;
      // These codecs deliver RGB whatever the stored colour model was.
      if (meta.samplesPerPixel === 3 && (codec === 'jpeg-baseline' || (codec === 'jpeg-2000' && photometric !== 'YBR_FULL'))) photometric = 'RGB';
      if (codec === 'encapsulated-uncompressed' && meta.samplesPerPixel > 1 && meta.planarConfiguration === 1) raw = planarToInterleaved(raw, meta.samplesPerPixel);
    }
  } catch (e) {
    if (e instanceof MedprobeError) throw e;
    throw new MedprobeError(`${meta.file}: cannot decode frame ${index + 1} (${transferSyntaxName(meta.transferSyntaxUID)}): ${(e as Error).message ?? String(e)}`, {
      file: meta.file,
      hint: 'the pixel data is corrupt or uses a codec variant the decoder lacks; convert it with `gdcmconv --raw` and retry',
      cause: e,
    });
  }
  const n = meta.rows * meta.columns * meta.samplesPerPixel;
  if (raw.length < n) {
    throw new MedprobeError(`${meta.file}: frame ${index + 1} decodes to ${raw.length} samples, expected ${n} (${meta.rows}×${meta.columns}×${meta.samplesPerPixel})`, {
      file: meta.file,
      hint: 'the pixel data is truncated or its Rows/Columns are wrong; re-export the file',
    });
  }
  if (meta.samplesPerPixel === 1) {
    const { data, inverted } = toModalityValues(raw, meta);
    return { image: { kind: '2d', width: meta.columns, height: meta.rows, channels: 1, data }, photometric: 'MONOCHROME2', inverted };
  }
  if (photometric === 'YBR_FULL' || photometric === 'YBR_FULL_422') ybrFullToRgbInPlace(raw, meta.bitsAllocated <= 8 ? 8 : meta.bitsAllocated);
  const data = raw.length === n ? raw : raw.subarray(0, n);
  const pixels = data instanceof Uint8Array || data instanceof Uint16Array ? data : Float32Array.from(data);
  return { image: { kind: '2d', width: meta.columns, height: meta.rows, channels: 3, data: pixels }, photometric: 'RGB', inverted: false };
}

/** Bytes per frame of uncompressed data as stored (YBR_FULL_422 keeps 2 samples per pixel). */
function storedFrameSamples(meta: DicomMeta): number {
  const px = meta.rows * meta.columns;
  return meta.photometricInterpretation === 'YBR_FULL_422' && meta.samplesPerPixel === 3 ? px * 2 : px * meta.samplesPerPixel;
}

function truncated(meta: DicomMeta, have: number, need: number): MedprobeError {
  return new MedprobeError(`${meta.file} is truncated: pixel data holds ${have} bytes, ${meta.numberOfFrames} frame(s) need ${need}`, {
    file: meta.file,
    hint: 'the file was cut short (interrupted copy or download); re-copy it from the source',
  });
}

function nativeFrame(ds: DataSet, el: Element, meta: DicomMeta, index: number, bigEndian: boolean): RawSamples {
  const available = Math.max(0, Math.min(el.length, ds.byteArray.length - el.dataOffset));
  const samples = storedFrameSamples(meta);
  if (meta.bitsAllocated === 1) {
    const need = Math.ceil((samples * meta.numberOfFrames) / 8);
    if (available < need) throw truncated(meta, available, need);
    // 1-bit frames are packed back to back, LSB first, and need not start on a byte boundary.
    const out = new Uint8Array(samples);
    const bit0 = index * samples;
    for (let i = 0; i < samples; i++) {
      const b = bit0 + i;
      out[i] = (ds.byteArray[el.dataOffset + (b >> 3)] >> (b & 7)) & 1;
    }
    return out;
  }
  const bps = meta.bitsAllocated / 8;
  const frameBytes = samples * bps;
  const need = frameBytes * meta.numberOfFrames;
  if (available < need) throw truncated(meta, available, need);
  const start = el.dataOffset + index * frameBytes;
  const bytes = ds.byteArray.subarray(start, start + frameBytes);
  return samplesFromBytes(bytes, meta.bitsAllocated, bigEndian);
}

function samplesFromBytes(bytes: Uint8Array, bitsAllocated: number, bigEndian: boolean): RawSamples {
  if (bitsAllocated === 8) return bytes.slice();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bitsAllocated === 16) {
    const out = new Uint16Array(bytes.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = dv.getUint16(2 * i, !bigEndian);
    return out;
  }
  const out = new Uint32Array(bytes.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = dv.getUint32(4 * i, !bigEndian);
  return out;
}

/** One frame's compressed bytes, from the Basic Offset Table, one-fragment-per-frame, or codestream start markers. */
function encapsulatedFrame(ds: DataSet, el: Element, meta: DicomMeta, index: number, codec: PixelCodec): Uint8Array {
  const frags = el.fragments ?? [];
  if (!el.encapsulatedPixelData || frags.length === 0) {
    throw new MedprobeError(`${meta.file} declares ${transferSyntaxName(meta.transferSyntaxUID)} but its pixel data is not encapsulated`, {
      file: meta.file,
      hint: 'the transfer syntax in the meta header is wrong; fix it with `dcmodify` or re-export the file',
    });
  }
  for (const f of frags) {
    if (f.position + f.length > ds.byteArray.length) throw truncated(meta, ds.byteArray.length - frags[0].position, f.position + f.length - frags[0].position);
  }
  const n = meta.numberOfFrames;
  if (n === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, frags.length);
  if (el.basicOffsetTable && el.basicOffsetTable.length === n) return dicomParser.readEncapsulatedImageFrame(ds, el, index);
  if (frags.length === n) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, index, 1);
  const starts: number[] = [];
  frags.forEach((f, i) => {
    const b = ds.byteArray;
    const p = f.position;
    const jpeg = b[p] === 0xff && b[p + 1] === 0xd8;
    const j2k = b[p] === 0xff && b[p + 1] === 0x4f && b[p + 2] === 0xff && b[p + 3] === 0x51;
    if ((codec !== 'rle' && (jpeg || j2k)) || i === 0) starts.push(i);
  });
  if (starts.length !== n) {
    throw new MedprobeError(`${meta.file}: cannot split ${frags.length} fragments into ${n} frames (no Basic Offset Table)`, {
      file: meta.file,
      hint: 'add a Basic Offset Table or decompress the file with `gdcmconv --raw`',
    });
  }
  const end = index + 1 < n ? starts[index + 1] : frags.length;
  return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, starts[index], end - starts[index]);
}

async function decodeCompressed(codec: PixelCodec, bytes: Uint8Array, meta: DicomMeta): Promise<{ samples: RawSamples }> {
  const check = (d: DecodedFrame) => {
    if (d.width && d.height && (d.width !== meta.columns || d.height !== meta.rows)) {
      throw new Error(`codestream is ${d.width}×${d.height} but the header says ${meta.columns}×${meta.rows}`);
    }
    return { samples: d.samples };
  };
  switch (codec) {
    case 'rle':
      return { samples: decodeRleFrame(bytes, meta.rows, meta.columns, meta.samplesPerPixel, meta.bitsAllocated) };
    case 'encapsulated-uncompressed':
      return { samples: samplesFromBytes(bytes, meta.bitsAllocated, false) };
    case 'jpeg-baseline':
      return check(await decodeJpegBaseline(bytes, meta.samplesPerPixel === 3 && meta.photometricInterpretation === 'RGB'));
    case 'jpeg-lossless':
      return check(decodeJpegLossless(bytes, meta.bitsAllocated));
    case 'jpeg-ls':
      return check(await decodeJpegLs(bytes));
    case 'jpeg-2000':
      return check(await decodeJpeg2000(bytes));
    default:
      throw new Error(`no compressed decoder for ${codec}`);
  }
}

/**
 * Stored values → modality values (Float32). MONOCHROME1 is mirrored within the modality range
 * that BitsStored/PixelRepresentation/Rescale allow: v' = lo + hi − v. That keeps "higher = brighter"
 * for every grey image, independent of image content (a per-image min/max flip would not be).
 */
function toModalityValues(raw: RawSamples, meta: DicomMeta): { data: Float32Array; inverted: boolean } {
  const n = meta.rows * meta.columns;
  const bits = meta.bitsAllocated === 1 ? 1 : Math.min(meta.bitsStored, 32);
  const signed = meta.pixelRepresentation === 1 && bits > 1;
  const span = 2 ** bits;
  const mask = bits >= 32 ? 0xffffffff : span - 1;
  const { rescaleSlope: slope, rescaleIntercept: intercept } = meta;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // Codec output may already be signed (Int16Array); masking recovers the stored bit pattern either way.
    let v = bits >= 32 ? raw[i] >>> 0 : (raw[i] & mask) >>> 0;
    if (signed && v >= span / 2) v -= span;
    out[i] = v * slope + intercept;
  }
  if (meta.photometricInterpretation !== 'MONOCHROME1') return { data: out, inverted: false };
  const storedLo = signed ? -span / 2 : 0;
  const storedHi = signed ? span / 2 - 1 : span - 1;
  const a = storedLo * slope + intercept;
  const b = storedHi * slope + intercept;
  const sum = Math.min(a, b) + Math.max(a, b);
  for (let i = 0; i < n; i++) out[i] = sum - out[i];
  return { data: out, inverted: true };
}
