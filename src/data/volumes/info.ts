import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Pixels } from '../types.js';
import { readNifti } from '../nifti/read.js';
import { axisCodes } from '../nifti/orientation.js';
import { readDicomSeries } from '../dicom/series.js';
import { readDicomFile } from '../dicom/read-file.js';
import { openNpz } from '../npz.js';
import { MedprobeError } from '../../util/errors.js';
import { toCanonical } from './canonical.js';

/** What `medprobe data info` shows about one file or folder: a format and labelled lines. */
export interface MedicalFileInfo {
  path: string;
  format: 'nifti' | 'dicom-series' | 'dicom-file' | 'npz';
  /** Label → value, in display order. */
  fields: Array<[string, string]>;
  warnings: string[];
}

function range(data: Pixels | ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(3).replace(/\.?0+$/, ''));
const mm = (s: readonly number[]) => `${s.map(fmt).join(' × ')} mm`;

/** The largest npz member `describeMedicalFile` decodes for a value range; bigger ones show their size only. */
const NPZ_DECODE_LIMIT = 512 * 2 ** 20;

/**
 * A quick look at a medical image: DICOM file or series folder, NIfTI, or npz — shape, spacing,
 * value range (HU for CT), orientation. Reads with the same readers the data sources use, so
 * "info works" means "medprobe can load it".
 */
export async function describeMedicalFile(p: string): Promise<MedicalFileInfo> {
  const file = path.resolve(p);
  let st;
  try {
    st = await fs.stat(file);
  } catch {
    throw new MedprobeError(`not found: ${file}`, { file, hint: 'pass a DICOM file or series folder, a .nii/.nii.gz file, or an .npz' });
  }
  if (st.isDirectory()) {
    const v = await readDicomSeries(file);
    const c = toCanonical(v);
    const [lo, hi] = range(v.data);
    return {
      path: file,
      format: 'dicom-series',
      fields: [
        ['format', `DICOM series, ${v.files.length} slice file(s)${v.skipped.length ? `, ${v.skipped.length} other file(s) skipped` : ''}`],
        ['modality', v.modality ?? 'unknown'],
        ['shape (x × y × z)', `${v.width} × ${v.height} × ${v.depth} (canonical RAS+: ${c.width} × ${c.height} × ${c.depth})`],
        ['spacing', mm(v.spacing)],
        ['orientation', `${axisCodes(v.affine)} as stored → RAS after canonical reorientation`],
        [v.modality === 'CT' ? 'HU range' : 'value range', `${fmt(lo)} … ${fmt(hi)}`],
        ...(v.windowCenter !== undefined ? ([['window (center/width)', `${fmt(v.windowCenter)} / ${fmt(v.windowWidth ?? NaN)}`]] as Array<[string, string]>) : []),
        ['series', v.seriesInstanceUID ?? 'unknown'],
        ['patient', v.patientId ?? 'unknown'],
      ],
      warnings: [...v.warnings, ...v.skipped.map((s) => `skipped ${path.relative(file, s.file)}: ${s.reason}`)],
    };
  }
  if (/\.nii(\.gz)?$/i.test(file)) {
    const v = await readNifti(file);
    const [lo, hi] = range(v.data);
    return {
      path: file,
      format: 'nifti',
      fields: [
        ['format', `NIfTI-${v.header.version}, ${v.header.datatype}${v.header.volumes > 1 ? `, ${v.header.volumes} volumes (showing 0)` : ''}`],
        ['shape (x × y × z)', `${v.sourceShape.join(' × ')} as stored; ${v.width} × ${v.height} × ${v.depth} canonical RAS+`],
        ['spacing', mm(v.spacing)],
        ['orientation', `${v.sourceOrientation} as stored (affine from ${v.header.affineSource}) → RAS`],
        ['value range', `${fmt(lo)} … ${fmt(hi)}${v.header.sclSlope && v.header.sclSlope !== 1 ? ` (scl_slope ${fmt(v.header.sclSlope)}, scl_inter ${fmt(v.header.sclInter)})` : ''}`],
        ...(v.header.description ? ([['description', v.header.description]] as Array<[string, string]>) : []),
      ],
      warnings: v.header.nonFinite > 0 ? [`${v.header.nonFinite} of ${v.data.length} voxels are NaN or infinite (the value range leaves them out); \`medprobe run\` refuses this volume`] : [],
    };
  }
  if (/\.npz$/i.test(file)) {
    const npz = await openNpz(file);
    const fields: Array<[string, string]> = [['format', `npz, ${npz.keys.length} array(s)`]];
    for (const key of npz.keys) {
      if (npz.sizeOf(key) > NPZ_DECODE_LIMIT) {
        fields.push([key, `${(npz.sizeOf(key) / 2 ** 20).toFixed(0)} MiB (not decoded)`]);
        continue;
      }
      const a = await npz.read(key);
      const [lo, hi] = range(a.data as ArrayLike<number>);
      fields.push([key, `${a.dtype} [${a.shape.join(', ')}], range ${fmt(lo)} … ${fmt(hi)}`]);
    }
    return { path: file, format: 'npz', fields, warnings: [] };
  }
  const d = await readDicomFile(file);
  const frame = d.frames[0];
  const [lo, hi] = frame ? range(frame.data) : [NaN, NaN];
  return {
    path: file,
    format: 'dicom-file',
    fields: [
      ['format', `DICOM file, ${d.numberOfFrames} frame(s), ${d.photometricInterpretation}, ${d.bitsStored}/${d.bitsAllocated} bits`],
      ['modality', d.modality ?? 'unknown'],
      ['shape (columns × rows)', `${d.columns} × ${d.rows}${d.samplesPerPixel > 1 ? ` × ${d.samplesPerPixel}` : ''}`],
      ...(d.pixelSpacing ? ([['pixel spacing (row, column)', mm(d.pixelSpacing)]] as Array<[string, string]>) : []),
      ...(d.sliceThickness !== undefined ? ([['slice thickness', `${fmt(d.sliceThickness)} mm`]] as Array<[string, string]>) : []),
      ...(d.imageOrientationPatient ? ([['orientation (row / column cosines, LPS)', d.imageOrientationPatient.map(fmt).join(' ')]] as Array<[string, string]>) : []),
      [d.modality === 'CT' ? 'HU range (frame 0)' : 'value range (frame 0)', `${fmt(lo)} … ${fmt(hi)}`],
      ['rescale', `slope ${fmt(d.rescaleSlope)}, intercept ${fmt(d.rescaleIntercept)}`],
      ['transfer syntax', d.transferSyntaxUID],
    ],
    warnings: [],
  };
}
