import type { DataSet } from 'dicom-parser';
import { MedprobeError } from '../../util/errors.js';
import type { ParsedDicom } from './parse.js';
import { describeSopClass } from './sop-class.js';

/** Everything about a DICOM image except its pixels: enough to group, sort and check a series. */
export interface DicomMeta {
  file: string;
  transferSyntaxUID: string;
  sopClassUID?: string;
  sopInstanceUID?: string;
  modality?: string;
  patientId?: string;
  studyInstanceUID?: string;
  seriesInstanceUID?: string;
  instanceNumber?: number;
  rows: number;
  columns: number;
  numberOfFrames: number;
  samplesPerPixel: number;
  /** As stored in the file (MONOCHROME1/2, RGB, YBR_FULL, YBR_FULL_422, YBR_RCT, YBR_ICT, PALETTE COLOR, …). */
  photometricInterpretation: string;
  /** 0: colour-by-pixel (RGBRGB…), 1: colour-by-plane (RRR…GGG…BBB…). */
  planarConfiguration: 0 | 1;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: 0 | 1;
  /** Modality LUT as a linear map; slope 1 / intercept 0 when absent. */
  rescaleSlope: number;
  rescaleIntercept: number;
  rescaleType?: string;
  /** (0020,0032): world position (LPS, mm) of the centre of the first transmitted pixel. */
  imagePositionPatient?: [number, number, number];
  /** (0020,0037): direction cosines of the first row then the first column, LPS. */
  imageOrientationPatient?: [number, number, number, number, number, number];
  /** (0028,0030): [row spacing (between rows, mm), column spacing (between columns, mm)]. */
  pixelSpacing?: [number, number];
  sliceThickness?: number;
  windowCenter?: number;
  windowWidth?: number;
}

const MISSING_HINT = 'the file is not a conformant image; re-export it from the source system';

export function str(ds: DataSet, tag: string): string | undefined {
  try {
    const v = ds.string(tag);
    return v === undefined || v === '' ? undefined : v;
  } catch {
    return undefined;
  }
}

function num(ds: DataSet, tag: string, index = 0): number | undefined {
  try {
    const v = ds.floatString(tag, index);
    return v === undefined || !Number.isFinite(v) ? undefined : v;
  } catch {
    return undefined;
  }
}

function nums(ds: DataSet, tag: string, n: number): number[] | undefined {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = num(ds, tag, i);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

/** US attributes; a few writers (and bad-VR files) store them with another VR, so fall back to IS. */
function us(ds: DataSet, tag: string): number | undefined {
  const el = ds.elements[tag];
  if (!el || el.length === 0) return undefined;
  try {
    if (el.length === 2 || el.vr === 'US' || el.vr === 'SS') return ds.uint16(tag);
    return ds.intString(tag);
  } catch {
    return undefined;
  }
}

export function hasPixelData(ds: DataSet): boolean {
  const el = ds.elements.x7fe00010;
  return !!el && (el.length > 0 || !!el.encapsulatedPixelData);
}

/** Metadata of an image file, or a MedprobeError saying why it is not an image we can read. */
export function readMeta(parsed: ParsedDicom): DicomMeta {
  const { dataSet: ds, file } = parsed;
  const sopClassUID = str(ds, 'x00080016');
  if (!hasPixelData(ds)) {
    const other = ds.elements.x7fe00008 || ds.elements.x7fe00009 ? ' (only Float/Double Float Pixel Data, which medprobe does not read)' : '';
    throw new MedprobeError(`${file} has no pixel data (SOP class ${describeSopClass(sopClassUID)})${other}`, {
      file,
      hint: 'only image objects (CT, MR, CR, DX, SC, …) can be loaded; drop structure sets, reports, plans and waveforms from the input',
    });
  }
  const rows = us(ds, 'x00280010');
  const columns = us(ds, 'x00280011');
  const bitsAllocated = us(ds, 'x00280100');
  if (!rows || !columns || !bitsAllocated) {
    throw new MedprobeError(`${file} has pixel data but no valid Rows/Columns/BitsAllocated`, { file, hint: MISSING_HINT });
  }
  const samplesPerPixel = us(ds, 'x00280002') ?? 1;
  const photometricInterpretation = str(ds, 'x00280004')?.toUpperCase() ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2');
  const bitsStored = us(ds, 'x00280101') ?? bitsAllocated;
  const pixelRepresentation = us(ds, 'x00280103') === 1 ? 1 : 0;
  const frames = num(ds, 'x00280008');
  const ipp = nums(ds, 'x00200032', 3);
  const iop = nums(ds, 'x00200037', 6);
  const ps = nums(ds, 'x00280030', 2);
  const instanceNumber = num(ds, 'x00200013');
  if (![1, 8, 16, 32].includes(bitsAllocated)) {
    throw new MedprobeError(`${file} has BitsAllocated ${bitsAllocated}; medprobe reads 1, 8, 16 and 32`, { file, hint: MISSING_HINT });
  }
  if (![1, 3].includes(samplesPerPixel)) {
    throw new MedprobeError(`${file} has SamplesPerPixel ${samplesPerPixel}; medprobe reads 1 (grey) and 3 (colour)`, { file, hint: MISSING_HINT });
  }
  return {
    file,
    transferSyntaxUID: parsed.transferSyntaxUID,
    sopClassUID,
    sopInstanceUID: str(ds, 'x00080018'),
    modality: str(ds, 'x00080060'),
    patientId: str(ds, 'x00100020'),
    studyInstanceUID: str(ds, 'x0020000d'),
    seriesInstanceUID: str(ds, 'x0020000e'),
    instanceNumber: instanceNumber === undefined ? undefined : Math.round(instanceNumber),
    rows,
    columns,
    numberOfFrames: frames && frames > 0 ? Math.round(frames) : 1,
    samplesPerPixel,
    photometricInterpretation,
    planarConfiguration: us(ds, 'x00280006') === 1 ? 1 : 0,
    bitsAllocated,
    bitsStored: Math.min(bitsStored, bitsAllocated) || bitsAllocated,
    highBit: us(ds, 'x00280102') ?? bitsStored - 1,
    pixelRepresentation,
    rescaleSlope: num(ds, 'x00281053') || 1,
    rescaleIntercept: num(ds, 'x00281052') ?? 0,
    rescaleType: str(ds, 'x00281054'),
    imagePositionPatient: ipp as DicomMeta['imagePositionPatient'],
    imageOrientationPatient: iop as DicomMeta['imageOrientationPatient'],
    pixelSpacing: ps as DicomMeta['pixelSpacing'],
    sliceThickness: num(ds, 'x00180050'),
    windowCenter: num(ds, 'x00281050'),
    windowWidth: num(ds, 'x00281051'),
  };
}
