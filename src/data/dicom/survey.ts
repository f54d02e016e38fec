import { isMedprobeError } from '../../util/errors.js';
import { readDicomFile } from './read-file.js';

/** How one file fared: decoded, rejected with a user-facing reason, or crashed (a bug in medprobe). */
export interface DicomSurveyRow {
  file: string;
  status: 'loaded' | 'rejected' | 'crashed';
  /** "64×64×1 MONOCHROME2 → MONOCHROME2, 1 frame, Explicit VR Little Endian" or the error line. */
  detail: string;
  transferSyntaxUID?: string;
}

/**
 * Try to read every file and classify the outcome. A "crashed" row is any non-MedprobeError throw;
 * a robust reader has none. Used for the corpus table in docs/results/dicom-nifti.md.
 */
export async function surveyDicomFiles(files: readonly string[]): Promise<DicomSurveyRow[]> {
  const rows: DicomSurveyRow[] = [];
  for (const file of files) {
    try {
      const im = await readDicomFile(file);
      rows.push({
        file,
        status: 'loaded',
        transferSyntaxUID: im.transferSyntaxUID,
        detail: `${im.columns}×${im.rows}×${im.samplesPerPixel}, ${im.numberOfFrames} frame${im.numberOfFrames > 1 ? 's' : ''}, ${im.bitsAllocated}-bit, ${im.photometricInterpretation} → ${im.outputPhotometric}`,
      });
    } catch (e) {
      rows.push({ file, status: isMedprobeError(e) ? 'rejected' : 'crashed', detail: isMedprobeError(e) ? e.message : String((e as Error)?.stack ?? e) });
    }
  }
  return rows;
}
