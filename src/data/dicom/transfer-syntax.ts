/**
 * DICOM transfer syntaxes (PS3.5 §10 / PS3.6 Annex A) and which decoder handles each.
 * Every syntax listed with a codec is decoded; any other UID is rejected with a MedprobeError
 * that names it, so a user knows what to convert (e.g. `dcmdjpeg`, `gdcmconv --raw`).
 */
export type PixelCodec =
  | 'native' // uncompressed, little endian
  | 'native-big-endian'
  | 'deflate' // native after inflating the data set (node:zlib)
  | 'encapsulated-uncompressed' // PS3.5 A.4.11: raw frames inside fragments
  | 'jpeg-baseline' // @cornerstonejs/codec-libjpeg-turbo-8bit
  | 'jpeg-lossless' // jpeg-lossless-decoder-js
  | 'jpeg-ls' // @cornerstonejs/codec-charls
  | 'jpeg-2000' // @cornerstonejs/codec-openjpeg
  | 'rle'; // ./rle.ts (PS3.5 Annex G)

export interface TransferSyntax {
  uid: string;
  name: string;
  /** Undefined: recognised but no maintained JS decoder covers it. */
  codec?: PixelCodec;
  explicitVr: boolean;
  bigEndian: boolean;
}

function ts(uid: string, name: string, codec?: PixelCodec, explicitVr = true, bigEndian = false): TransferSyntax {
  return { uid, name, codec, explicitVr, bigEndian };
}

export const TRANSFER_SYNTAXES: readonly TransferSyntax[] = [
  ts('1.2.840.10008.1.2', 'Implicit VR Little Endian', 'native', false),
  ts('1.2.840.10008.1.2.1', 'Explicit VR Little Endian', 'native'),
  ts('1.2.840.10008.1.2.1.98', 'Encapsulated Uncompressed Explicit VR Little Endian', 'encapsulated-uncompressed'),
  ts('1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'deflate'),
  ts('1.2.840.10008.1.2.2', 'Explicit VR Big Endian', 'native-big-endian', true, true),
  ts('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg-baseline'),
  // libjpeg-turbo-8bit decodes 8-bit Process 2 streams; 12-bit Process 4 streams fail in the codec
  // and are reported as a decode error naming the 12-bit precision.
  ts('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'jpeg-baseline'),
  ts('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg-lossless'),
  ts('1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 SV1)', 'jpeg-lossless'),
  ts('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg-ls'),
  ts('1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless)', 'jpeg-ls'),
  ts('1.2.840.10008.1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)', 'jpeg-2000'),
  ts('1.2.840.10008.1.2.4.91', 'JPEG 2000 Image Compression', 'jpeg-2000'),
  // OpenJPEG ≥ 2.5 decodes HTJ2K (Part 15) codestreams; no sample file in our corpus exercises it.
  ts('1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 (Lossless Only)', 'jpeg-2000'),
  ts('1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)', 'jpeg-2000'),
  ts('1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000', 'jpeg-2000'),
  ts('1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'),
  // Recognised, not decodable with a maintained JS codec.
  ts('1.2.840.10008.1.2.4.52', 'JPEG Extended (Process 3 & 5, retired)'),
  ts('1.2.840.10008.1.2.4.53', 'JPEG Spectral Selection, Non-Hierarchical (retired)'),
  ts('1.2.840.10008.1.2.4.55', 'JPEG Full Progression, Non-Hierarchical (retired)'),
  ts('1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component (Lossless Only)'),
  ts('1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component'),
  ts('1.2.840.10008.1.2.4.94', 'JPIP Referenced'),
  ts('1.2.840.10008.1.2.4.95', 'JPIP Referenced Deflate'),
  ts('1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level'),
  ts('1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level'),
  ts('1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1'),
  ts('1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1'),
  ts('1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video'),
  ts('1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video'),
  ts('1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2'),
  ts('1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1'),
  ts('1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1'),
  ts('1.2.840.10008.1.2.4.110', 'JPEG XL Lossless'),
  ts('1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression'),
  ts('1.2.840.10008.1.2.4.112', 'JPEG XL'),
];

const BY_UID = new Map(TRANSFER_SYNTAXES.map((t) => [t.uid, t]));

export function transferSyntax(uid: string): TransferSyntax | undefined {
  return BY_UID.get(uid);
}

export function transferSyntaxName(uid: string): string {
  return BY_UID.get(uid)?.name ?? 'unknown transfer syntax';
}

export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const EXPLICIT_VR_BE = '1.2.840.10008.1.2.2';
