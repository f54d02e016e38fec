import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Volume3D } from '../types.js';
import { MedprobeError, isMedprobeError } from '../../util/errors.js';
import { assertWithinMemoryBudget, formatBytes } from '../../util/memory-budget.js';
import { createProgress } from '../../util/progress.js';
import { decodeFrame } from './decode.js';
import { readMeta, type DicomMeta } from './meta.js';
import { parseDicomFile } from './parse.js';
import { readDicomHeader } from './read-file.js';

/**
 * A CT/MR series assembled into a volume. Voxel (x, y, z) = (column, row, slice), slices sorted
 * along the slice normal. `affine` maps voxel indices to **RAS+ world mm** (the NIfTI convention,
 * so DICOM and NIfTI volumes and written masks share one frame): DICOM's LPS patient coordinates
 * with x and y negated. `affineLps` is the same map in DICOM's own LPS frame.
 */
export interface DicomVolume extends Volume3D {
  data: Float32Array;
  spacing: [number, number, number];
  affine: number[];
  affineLps: number[];
  seriesInstanceUID?: string;
  modality?: string;
  patientId?: string;
  windowCenter?: number;
  windowWidth?: number;
  /** Slice files in volume order (z = 0 first). */
  files: string[];
  /** Position of each slice along the slice normal (mm, LPS projection); exact even when spacing is irregular. */
  slicePositions: number[];
  /** Files in the input that were not images of this series, with the reason. */
  skipped: { file: string; reason: string }[];
  /** Non-fatal oddities (irregular slice spacing, missing positions). */
  warnings: string[];
}

export interface SeriesOptions {
  /** Which series to assemble when the input holds several. */
  seriesInstanceUID?: string;
}

const ORIENTATION_TOL = 1e-4;

async function listFiles(input: string | readonly string[]): Promise<string[]> {
  if (typeof input !== 'string') return [...input];
  const st = await fs.stat(input).catch((e: Error) => {
    throw new MedprobeError(`cannot read ${input}: ${e.message}`, { file: input, hint: 'pass a folder of DICOM files or a list of files' });
  });
  if (!st.isDirectory()) return [input];
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const ent of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (ent.name.startsWith('.') || ent.name === 'DICOMDIR') continue;
      const p = path.join(dir, ent.name);
      if (ent.isDirectory()) await walk(p);
      else if (ent.isFile()) out.push(p);
    }
  };
  await walk(input);
  return out;
}

function cross(a: number[], b: number[]): [number, number, number] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/**
 * Read a folder (recursively) or a list of DICOM files as one 3D volume of modality values
 * (HU for CT). Files that are not DICOM images are skipped and listed in `skipped`; several
 * series in the input is an error unless `seriesInstanceUID` picks one. Pixel data is decoded only
 * for the chosen series, after headers have been grouped and sorted.
 */
export async function readDicomSeries(input: string | readonly string[], opts: SeriesOptions = {}): Promise<DicomVolume> {
  const label = typeof input === 'string' ? input : `${input.length} files`;
  const files = await listFiles(input);
  const metas: DicomMeta[] = [];
  const skipped: DicomVolume['skipped'] = [];
  for (const f of files) {
    try {
      metas.push(await readDicomHeader(f));
    } catch (e) {
      if (!isMedprobeError(e)) throw e;
      skipped.push({ file: f, reason: e.message });
    }
  }
  if (metas.length === 0) {
    throw new MedprobeError(`no DICOM images in ${label}${skipped.length ? ` (${skipped.length} files skipped, e.g. ${skipped[0].reason})` : ''}`, {
      hint: 'point at the folder holding the series’ .dcm files',
    });
  }
  const bySeries = new Map<string, DicomMeta[]>();
  for (const m of metas) {
    const key = m.seriesInstanceUID ?? '(no SeriesInstanceUID)';
    bySeries.set(key, [...(bySeries.get(key) ?? []), m]);
  }
  let uid = opts.seriesInstanceUID;
  if (uid === undefined) {
    if (bySeries.size > 1) {
      const list = [...bySeries].map(([k, v]) => `${k} (${v.length} files${v[0].modality ? `, ${v[0].modality}` : ''})`).join('; ');
      throw new MedprobeError(`${label} holds ${bySeries.size} series: ${list}`, { hint: 'put each series in its own folder (the library\'s seriesInstanceUID option picks one)' });
    }
    uid = [...bySeries.keys()][0];
  }
  const chosen = bySeries.get(uid);
  if (!chosen) {
    throw new MedprobeError(`series ${uid} not found in ${label}; present: ${[...bySeries.keys()].join(', ')}`, { hint: 'pass one of the present UIDs as seriesInstanceUID' });
  }
  for (const [k, v] of bySeries) if (k !== uid) for (const m of v) skipped.push({ file: m.file, reason: `other series ${k}` });
  return assemble(chosen, skipped, label);
}

async function assemble(slices: DicomMeta[], skipped: DicomVolume['skipped'], label: string): Promise<DicomVolume> {
  const warnings: string[] = [];
  const first = slices[0];
  for (const m of slices) {
    if (m.numberOfFrames > 1) {
      throw new MedprobeError(`${m.file} is a ${m.numberOfFrames}-frame file; series assembly reads single-frame slices`, {
        file: m.file,
        hint: 'read multi-frame files with readDicomFile (frames are returned in file order)',
      });
    }
    if (m.samplesPerPixel !== 1) {
      throw new MedprobeError(`${m.file} is a colour image; a volume needs greyscale slices`, { file: m.file, hint: 'exclude colour secondary captures from the series folder' });
    }
    if (m.rows !== first.rows || m.columns !== first.columns) {
      throw new MedprobeError(`${m.file} is ${m.columns}×${m.rows} but ${first.file} is ${first.columns}×${first.rows}; one series must share one grid`, {
        file: m.file,
        hint: 'the folder mixes acquisitions; pass only the files of one series',
      });
    }
    const a = m.imageOrientationPatient;
    const b = first.imageOrientationPatient;
    if (a && b && a.some((v, i) => Math.abs(v - b[i]) > ORIENTATION_TOL)) {
      throw new MedprobeError(`${m.file} has ImageOrientationPatient ${a.join('\\')} but ${first.file} has ${b.join('\\')}`, {
        file: m.file,
        hint: 'slices of one volume must share an orientation; split the series (e.g. localisers) first',
      });
    }
  }

  const iop = first.imageOrientationPatient ?? [1, 0, 0, 0, 1, 0];
  if (!first.imageOrientationPatient) warnings.push('ImageOrientationPatient missing; assumed axial (1,0,0 / 0,1,0)');
  const rowDir = iop.slice(0, 3);
  const colDir = iop.slice(3, 6);
  const normal = cross(rowDir, colDir);
  const havePositions = slices.every((m) => m.imagePositionPatient);
  let order: { meta: DicomMeta; pos: number }[];
  if (havePositions) {
    order = slices.map((meta) => ({ meta, pos: dot(meta.imagePositionPatient!, normal) })).sort((p, q) => p.pos - q.pos);
    for (let i = 1; i < order.length; i++) {
      if (Math.abs(order[i].pos - order[i - 1].pos) < 1e-4) {
        throw new MedprobeError(`${order[i].meta.file} and ${order[i - 1].meta.file} sit at the same slice position (${order[i].pos.toFixed(3)} mm)`, {
          file: order[i].meta.file,
          hint: 'the series holds repeated acquisitions (several echoes/phases); split them into separate folders',
        });
      }
    }
  } else {
    warnings.push('ImagePositionPatient missing on some slices; sorted by InstanceNumber, spacing from SliceThickness');
    order = slices.map((meta) => ({ meta, pos: meta.instanceNumber ?? 0 })).sort((p, q) => p.pos - q.pos);
  }

  const [dr, dc] = first.pixelSpacing ?? [1, 1];
  if (!first.pixelSpacing) warnings.push('PixelSpacing missing; assumed 1 mm');
  let dz = first.sliceThickness ?? 1;
  let step: number[] = normal.map((v) => v * dz);
  if (havePositions && order.length > 1) {
    const gaps = order.slice(1).map((o, i) => o.pos - order[i].pos);
    const mean = (order[order.length - 1].pos - order[0].pos) / (order.length - 1);
    if (gaps.some((g) => Math.abs(g - mean) > 0.01 * Math.abs(mean) + 1e-3)) {
      warnings.push(`irregular slice spacing (${Math.min(...gaps).toFixed(3)}–${Math.max(...gaps).toFixed(3)} mm); affine uses the mean ${mean.toFixed(3)} mm`);
    }
    dz = mean;
    // The actual step between first and last slice, so a gantry tilt is carried by the affine.
    const p0 = order[0].meta.imagePositionPatient!;
    const pn = order[order.length - 1].meta.imagePositionPatient!;
    step = p0.map((v, i) => (pn[i] - v) / (order.length - 1));
  }
  const origin = havePositions ? order[0].meta.imagePositionPatient! : [0, 0, 0];
  // Columns of the LPS affine: x (column index) moves along the row direction by the column spacing, y along the column direction by the row spacing.
  const affineLps = [
    rowDir[0] * dc, colDir[0] * dr, step[0], origin[0],
    rowDir[1] * dc, colDir[1] * dr, step[1], origin[1],
    rowDir[2] * dc, colDir[2] * dr, step[2], origin[2],
    0, 0, 0, 1,
  ];
  const affine = affineLps.map((v, i) => (i < 8 ? -v : v) + 0); // + 0 turns -0 into 0

  const sliceLen = first.rows * first.columns;
  // Each file was judged alone; the volume is their sum. Float32 volume + the RAS+ reorder copy
  // readers make (volumes/source.ts) + one slice being decoded (stored bits and Float32).
  const volumeBytes = 4 * sliceLen * order.length;
  assertWithinMemoryBudget(
    label,
    2 * volumeBytes + sliceLen * (4 + Math.ceil(first.bitsAllocated / 8)),
    `a series of ${order.length} slices of ${first.columns}×${first.rows} (${formatBytes(volumeBytes)} as a Float32 volume)`,
    'otherwise leave the series out of the list',
  );
  const data = new Float32Array(sliceLen * order.length);
  const progress = order.length >= 50 ? createProgress(`DICOM ${label}`, order.length, 'slice') : { tick() {}, stop() {} };
  try {
    for (let z = 0; z < order.length; z++) {
      const parsed = await parseDicomFile(order[z].meta.file);
      const frame = await decodeFrame(parsed, readMeta(parsed), 0);
      data.set(frame.image.data as Float32Array, z * sliceLen);
      progress.tick();
    }
  } finally {
    progress.stop();
  }
  return {
    kind: '3d',
    depth: order.length,
    height: first.rows,
    width: first.columns,
    data,
    spacing: [dc, dr, Math.abs(dz)],
    affine,
    affineLps,
    seriesInstanceUID: first.seriesInstanceUID,
    modality: first.modality,
    patientId: first.patientId,
    windowCenter: first.windowCenter,
    windowWidth: first.windowWidth,
    files: order.map((o) => o.meta.file),
    slicePositions: order.map((o, i) => (havePositions ? o.pos : i * dz)),
    skipped,
    warnings,
  };
}
