import { createRequire } from 'node:module';
import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js';
import { planarToInterleaved } from './color.js';

/**
 * Compressed-frame decoders, each a maintained package: libjpeg-turbo (JPEG baseline/extended 8-bit),
 * CharLS (JPEG-LS), OpenJPEG (JPEG 2000, HTJ2K) as WebAssembly from @cornerstonejs, and
 * jpeg-lossless-decoder-js (JPEG lossless Process 14). Wasm modules are instantiated once, on first use.
 */
export interface DecodedFrame {
  width: number;
  height: number;
  components: number;
  bitsPerSample: number;
  /** Whether the codec produced two's-complement samples. */
  signed: boolean;
  /** Components interleaved per pixel. */
  samples: Uint8Array | Uint16Array | Int16Array;
}

const require = createRequire(import.meta.url);

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  readHeader?(): void;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getInterleaveMode?(): number;
  delete(): void;
}
type WasmModule = Record<string, new () => WasmDecoder>;

const codecLog: string[] = [];
function rememberCodecLog(line: string): void {
  if (/error|warn/i.test(line)) codecLog.push(line.trim());
  if (codecLog.length > 4) codecLog.shift();
}

const modules = new Map<string, Promise<WasmModule>>();
function wasm(pkg: string): Promise<WasmModule> {
  let m = modules.get(pkg);
  if (!m) {
    const factory = require(pkg) as (opts: object) => Promise<WasmModule>;
    // Emscripten prints codec chatter ([INFO] …) to stdout/stderr; keep the last lines for error messages instead.
    m = factory({ print: () => {}, printErr: (line: string) => rememberCodecLog(line) });
    modules.set(pkg, m);
  }
  return m;
}

/** Reinterpret decoded bytes as samples of the codec's width (little endian, as wasm memory is). */
function samplesOf(buf: Uint8Array, bits: number, signed: boolean): DecodedFrame['samples'] {
  if (bits <= 8) return buf;
  const copy = buf.byteOffset % 2 === 0 ? buf : buf.slice();
  return signed ? new Int16Array(copy.buffer, 0, copy.length >> 1) : new Uint16Array(copy.buffer, 0, copy.length >> 1);
}

async function runWasm(pkg: string, cls: string, data: Uint8Array): Promise<{ info: FrameInfo; buf: Uint8Array; interleave: number }> {
  const mod = await wasm(pkg);
  const decoder = new mod[cls]();
  try {
    decoder.getEncodedBuffer(data.length).set(data);
    codecLog.length = 0;
    try {
      decoder.decode();
    } catch (e) {
      throw new Error(codecLog.length ? codecLog.join('; ') : `codec failed (${String(e)})`);
    }
    const info = decoder.getFrameInfo();
    if (!info.width || !info.height || decoder.getDecodedBuffer().length === 0) {
      throw new Error(codecLog.length ? codecLog.join('; ') : 'codec produced no pixels');
    }
    const interleave = decoder.getInterleaveMode ? decoder.getInterleaveMode() : 2;
    // Copy out of wasm memory into a plain Uint8Array (libjpeg-turbo hands back a Uint8ClampedArray view).
    const view = decoder.getDecodedBuffer();
    const buf = new Uint8Array(view.length);
    buf.set(view);
    return { info: { ...info }, buf, interleave };
  } finally {
    decoder.delete();
  }
}

/**
 * JPEG baseline/extended. libjpeg applies the JFIF/Adobe colour transform, so 3-component output is RGB.
 * `rgbIntent`: the DICOM header says RGB, i.e. the components were stored without a colour transform.
 */
export async function decodeJpegBaseline(data: Uint8Array, rgbIntent = false): Promise<DecodedFrame> {
  const precision = jpegPrecision(data);
  if (precision !== undefined && precision > 8) {
    throw new Error(`${precision}-bit JPEG (Process 4) is not supported by libjpeg-turbo-8bit`);
  }
  const stream = rgbIntent ? withoutColourTransform(data) : data;
  const { info, buf } = await runWasm('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', 'JPEGDecoder', stream);
  return { width: info.width, height: info.height, components: info.componentCount, bitsPerSample: 8, signed: false, samples: buf };
}

/** JPEG-LS. CharLS returns planar output for interleave mode 0 ("none"); re-interleave it. */
export async function decodeJpegLs(data: Uint8Array): Promise<DecodedFrame> {
  const { info, buf, interleave } = await runWasm('@cornerstonejs/codec-charls/decodewasmjs', 'JpegLSDecoder', data);
  let samples = samplesOf(buf, info.bitsPerSample, false);
  if (info.componentCount > 1 && interleave === 0) samples = planarToInterleaved(samples, info.componentCount);
  return { width: info.width, height: info.height, components: info.componentCount, bitsPerSample: info.bitsPerSample, signed: false, samples };
}

/** JPEG 2000 / HTJ2K. OpenJPEG undoes the RCT/ICT component transform, so 3-component output is RGB. */
export async function decodeJpeg2000(data: Uint8Array): Promise<DecodedFrame> {
  const { info, buf } = await runWasm('@cornerstonejs/codec-openjpeg/decodewasmjs', 'J2KDecoder', data);
  const signed = !!info.isSigned;
  return {
    width: info.width,
    height: info.height,
    components: info.componentCount,
    bitsPerSample: info.bitsPerSample,
    signed,
    samples: samplesOf(buf, info.bitsPerSample, signed),
  };
}

/** JPEG lossless (Process 14, any predictor). */
export function decodeJpegLossless(data: Uint8Array, bitsAllocated: number): DecodedFrame {
  const precision = jpegPrecision(data) ?? bitsAllocated;
  const dims = jpegDims(data);
  const numBytes = precision > 8 ? 2 : 1;
  const copy = data.slice();
  const out = new JpegLosslessDecoder().decode(copy.buffer, 0, copy.length, numBytes) as Uint8Array | Uint16Array;
  const components = dims ? Math.max(1, Math.round(out.length / (dims.width * dims.height))) : 1;
  return { width: dims?.width ?? 0, height: dims?.height ?? 0, components, bitsPerSample: precision, signed: false, samples: out };
}

/**
 * A 3-component stream with neither a JFIF (APP0) nor an Adobe (APP14) marker leaves libjpeg to guess
 * the colour model from component ids, and it guesses YCbCr unless the ids are 'R','G','B'. When
 * DICOM says RGB and the ids are not the JFIF-style 1,2,3 (which writers such as GDCM use for
 * YCbCr data mislabelled RGB), insert an Adobe marker with transform 0 so libjpeg keeps RGB as is,
 * matching pydicom for e.g. SC_jpeg_no_color_transform.dcm.
 */
function withoutColourTransform(data: Uint8Array): Uint8Array {
  let i = 2;
  while (i + 4 < data.length) {
    if (data[i] !== 0xff) return data;
    const marker = data[i + 1];
    const len = (data[i + 2] << 8) | data[i + 3];
    // An Adobe segment too short to hold the transform flag (seen in the wild) is ignored by libjpeg.
    if (marker === 0xe0 || (marker === 0xee && len >= 14) || marker === 0xda) return data;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (data[i + 9] !== 3) return data;
      const ids = [data[i + 10], data[i + 13], data[i + 16]];
      if (ids[0] === 1 && ids[1] === 2 && ids[2] === 3) return data;
      break;
    }
    if (len < 2) return data;
    i += 2 + len;
  }
  const adobe = new Uint8Array([0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]);
  const out = new Uint8Array(data.length + adobe.length);
  out.set(data.subarray(0, 2), 0);
  out.set(adobe, 2);
  out.set(data.subarray(2), 2 + adobe.length);
  return out;
}

/** Walk JPEG markers up to the first SOFn and read its precision/size; bounded by the buffer length. */
function sofHeader(data: Uint8Array): { precision: number; height: number; width: number } | undefined {
  let i = 2;
  while (i + 9 < data.length) {
    if (data[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = data[i + 1];
    if (marker === 0xff || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += marker === 0xff ? 1 : 2;
      continue;
    }
    const len = (data[i + 2] << 8) | data[i + 3];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { precision: data[i + 4], height: (data[i + 5] << 8) | data[i + 6], width: (data[i + 7] << 8) | data[i + 8] };
    }
    if (len < 2) return undefined;
    i += 2 + len;
  }
  return undefined;
}

export function jpegPrecision(data: Uint8Array): number | undefined {
  return sofHeader(data)?.precision;
}

function jpegDims(data: Uint8Array): { width: number; height: number } | undefined {
  const h = sofHeader(data);
  return h ? { width: h.width, height: h.height } : undefined;
}
