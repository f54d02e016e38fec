import { promises as fs } from 'node:fs';
import dicomParser, { type DataSet } from 'dicom-parser';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { MedprobeError } from '../../util/errors.js';
import { cannotRead } from '../../util/fs-errors.js';
import { EXPLICIT_VR_BE, EXPLICIT_VR_LE, IMPLICIT_VR_LE, transferSyntax, transferSyntaxName } from './transfer-syntax.js';

/** A parsed DICOM data set plus where it came from and how it was encoded. */
export interface ParsedDicom {
  file: string;
  dataSet: DataSet;
  transferSyntaxUID: string;
  /** False when the file had no File Meta Information and the encoding was inferred from the bytes. */
  hasMeta: boolean;
}

export interface ParseOptions {
  /** Stop before Pixel Data (7FE0,0010): cheap headers for sorting a series before decoding it. */
  headerOnly?: boolean;
}

const HINT_NOT_DICOM = 'pass DICOM Part 10 files (.dcm); remove other files from the folder or list the files explicitly';

/**
 * Read and parse a DICOM file. Handles Part 10 files, files without the 128-byte preamble/meta
 * (encoding inferred like pydicom: explicit VR if bytes 4–5 spell a VR, big endian if the first group
 * reads big-endian), gzip-wrapped files, deflated data sets, and meta headers missing (0002,0010).
 * dicom-parser bounds every read by the buffer length, so truncated or corrupt files throw rather
 * than loop; every such throw becomes a one-line MedprobeError naming the file.
 */
export async function parseDicomFile(file: string, opts: ParseOptions = {}): Promise<ParsedDicom> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(file));
  } catch (e) {
    throw cannotRead(file, e, 'DICOM file', 'fix the path; a series is read from its folder, so pass the folder');
  }
  return parseDicomBytes(bytes, file, opts);
}

export function parseDicomBytes(input: Uint8Array, file: string, opts: ParseOptions = {}): ParsedDicom {
  try {
    return parseUnguarded(input, file, opts);
  } catch (e) {
    if (e instanceof MedprobeError) throw e;
    // dicom-parser throws plain strings from deep inside element readers on malformed input.
    throw new MedprobeError(`${file} could not be parsed (corrupt or truncated): ${parserMessage(e)}`, {
      file,
      hint: 'the file is damaged or not DICOM; re-export or re-copy it',
      cause: e,
    });
  }
}

function parseUnguarded(input: Uint8Array, file: string, opts: ParseOptions): ParsedDicom {
  let bytes = input;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      throw new MedprobeError(`${file} is a corrupt gzip file: ${(e as Error).message}`, { file, hint: 're-download or gunzip it by hand to check', cause: e });
    }
  }
  const part10 = bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
  let bodyStart = 0;
  let tsUid: string | undefined;
  if (part10) {
    let meta: DataSet;
    try {
      meta = dicomParser.readPart10Header(bytes);
    } catch (e) {
      throw new MedprobeError(`${file} has a corrupt File Meta Information header: ${parserMessage(e)}`, { file, hint: 'the file is damaged; re-export it from the source', cause: e });
    }
    // The meta group ends after its last (0002,xxxx) element. dicom-parser's own `position` runs on
    // into following low-numbered groups (e.g. a stray (0001,0001)), so compute it here.
    bodyStart = 132;
    for (const el of Object.values(meta.elements)) {
      if (el.tag.startsWith('x0002') && el.dataOffset + el.length > bodyStart) bodyStart = el.dataOffset + el.length;
    }
    tsUid = meta.string('x00020010')?.replace(/\0/g, '').trim() || undefined;
    tsUid ??= guessEncoding(bytes, bodyStart, true);
    if (!tsUid) throw new MedprobeError(`${file} has no transfer syntax in its meta header and its data set encoding is unrecognisable`, { file, hint: HINT_NOT_DICOM });
  } else {
    tsUid = guessEncoding(bytes, 0);
    if (!tsUid) throw new MedprobeError(`${file} is not a DICOM file (no DICM prefix and no recognisable data set)`, { file, hint: HINT_NOT_DICOM });
  }

  const known = transferSyntax(tsUid);
  // Encapsulated syntaxes (JPEG, RLE, …) all use explicit VR little endian for the data set itself.
  const declared = known?.codec === 'native-big-endian' ? EXPLICIT_VR_BE : known?.codec === 'deflate' ? tsUid : tsUid === IMPLICIT_VR_LE ? IMPLICIT_VR_LE : EXPLICIT_VR_LE;
  // Some writers declare explicit VR but write implicit; like pydicom, trust the bytes of the first element.
  let parseAs = declared;
  if (declared === EXPLICIT_VR_LE && guessEncoding(bytes, bodyStart, true) === IMPLICIT_VR_LE) parseAs = IMPLICIT_VR_LE;
  const body = bytes.subarray(bodyStart);
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(body, {
      TransferSyntaxUID: parseAs,
      untilTag: opts.headerOnly ? 'x7fe00010' : undefined,
      inflater: (arr: Uint8Array, position: number | undefined) => inflateAfter(arr, position ?? 0),
    } as dicomParser.ParseDicomOptions);
  } catch (e) {
    const partial = (e as { dataSet?: DataSet }).dataSet;
    const truncated = /overrun|overread|position.*cannot be greater|beyond|exceeds|overflow|past (the )?end/i.test(parserMessage(e));
    throw new MedprobeError(
      `${file} could not be parsed (${truncated ? 'truncated or corrupt' : 'corrupt'} data set, ${transferSyntaxName(tsUid)}): ${parserMessage(e)}`,
      { file, hint: partial ? 'the file ends early or has a malformed element; re-export or re-copy it' : HINT_NOT_DICOM, cause: e },
    );
  }
  const pixel = dataSet.elements.x7fe00010;
  const encapsulated = known?.codec !== undefined && !['native', 'native-big-endian', 'deflate'].includes(known.codec);
  if (pixel && encapsulated && !pixel.encapsulatedPixelData && pixel.hadUndefinedLength) {
    // Implicit-VR reading leaves undefined-length Pixel Data as a sequence; re-walk it as fragments.
    try {
      const stream = new dicomParser.ByteStream(dicomParser.littleEndianByteArrayParser, dataSet.byteArray, pixel.dataOffset);
      dicomParser.findEndOfEncapsulatedElement(stream, pixel, dataSet.warnings);
    } catch (e) {
      throw new MedprobeError(`${file} has corrupt encapsulated pixel data: ${parserMessage(e)}`, { file, hint: 'the file is damaged; re-export it', cause: e });
    }
  }
  return { file, dataSet, transferSyntaxUID: tsUid, hasMeta: part10 };
}

/** Deflated Explicit VR LE: everything after the meta header is raw DEFLATE (PS3.5 A.5); node:zlib as in npz.ts. */
function inflateAfter(arr: Uint8Array, position: number): Uint8Array {
  const inflated = inflateRawSync(arr.subarray(position));
  const out = new Uint8Array(position + inflated.length);
  out.set(arr.subarray(0, position), 0);
  out.set(inflated, position);
  return out;
}

const VRS = new Set('AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '));

/**
 * Infer the encoding of a data set that starts at `at` without a transfer syntax to tell us:
 * the first element's group is small (meta 0002 or 0008 typically); explicit VR if the 2 bytes
 * after the tag spell a VR; big endian if the group only makes sense read big-endian.
 */
function guessEncoding(bytes: Uint8Array, at: number, afterMeta = false): string | undefined {
  if (bytes.length < at + 8) return undefined;
  const le = bytes[at] | (bytes[at + 1] << 8);
  const be = (bytes[at] << 8) | bytes[at + 1];
  const vr = String.fromCharCode(bytes[at + 4], bytes[at + 5]);
  // Behind a DICM prefix anything in the low groups goes; a bare file must look like a standard group.
  const plausible = (g: number) => (afterMeta ? g >= 0x0001 && g <= 0x0010 : g >= 0x0002 && g <= 0x0010 && g % 2 === 0);
  if (plausible(le)) return VRS.has(vr) ? EXPLICIT_VR_LE : IMPLICIT_VR_LE;
  if (plausible(be) && VRS.has(vr)) return EXPLICIT_VR_BE;
  return undefined;
}

/** dicom-parser throws strings, Errors and `{exception, dataSet}` objects; get one line out of any. */
export function parserMessage(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'exception' in e) return parserMessage((e as { exception: unknown }).exception);
  return String(e);
}
