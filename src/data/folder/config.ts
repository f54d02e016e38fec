import { z } from 'zod';

/**
 * An image folder described by a CSV manifest: one row per image with its path, label(s),
 * and optionally patient id and official split. Covers NIH ChestX-ray14 ("Finding Labels" pipe
 * lists), CheXpert (one column per finding with 1/0/−1/blank) and plain class-per-row sets.
 */
const MissingPolicy = z.enum(['zero', 'one', 'ignore-sample', 'ignore-label']);

export const LabelSpecSchema = z.discriminatedUnion('kind', [
  /** One class per row; `classes` fixes the order (else sorted unique values, numerically when all numbers). */
  z.object({ kind: z.literal('single'), column: z.string().min(1), classes: z.array(z.string()).min(2).optional() }).strict(),
  /**
   * One 0/1 column per label (CheXpert). `uncertain` handles −1, `blank` handles empty cells:
   * 'zero'/'one' map them, 'ignore-sample' drops the row, 'ignore-label' stores −1 ("not known")
   * for that label so metrics can mask it.
   */
  z
    .object({
      kind: z.literal('multi-columns'),
      columns: z.array(z.string().min(1)).min(1),
      uncertain: MissingPolicy.default('zero'),
      blank: MissingPolicy.default('zero'),
    })
    .strict(),
  /** Labels joined in one cell, e.g. NIH "Finding Labels" = "Effusion|Infiltration"; `noFinding` means all zero. */
  z
    .object({
      kind: z.literal('pipe-list'),
      column: z.string().min(1),
      classes: z.array(z.string().min(1)).min(1),
      separator: z.string().min(1).default('|'),
      noFinding: z.string().default('No Finding'),
    })
    .strict(),
]);

export const ImageFolderConfigSchema = z
  .object({
    /** Dataset name for results (default: the root folder's name). */
    name: z.string().min(1).optional(),
    /** Folder image paths are relative to. */
    root: z.string().min(1),
    /** Manifest CSV (relative to root, or absolute). */
    csv: z.string().min(1),
    delimiter: z.string().length(1).default(','),
    imageColumn: z.string().min(1),
    patientColumn: z.string().min(1).optional(),
    /** Regex with one capture group, applied to the image path when there is no patient column (CheXpert: "(patient\\d+)"). */
    patientPattern: z.string().min(1).optional(),
    splitColumn: z.string().min(1).optional(),
    labels: LabelSpecSchema,
    /** 'stop': the first bad row is an error. 'skip': bad rows are dropped and listed in the report. */
    onError: z.enum(['stop', 'skip']).default('stop'),
    /** 'exists': check each file is there and is PNG/JPEG by its header; 'decode': decode every image up front. */
    verify: z.enum(['exists', 'decode']).default('exists'),
  })
  .strict();

export type LabelSpec = z.output<typeof LabelSpecSchema>;
export type ImageFolderConfigInput = z.input<typeof ImageFolderConfigSchema>;
export type ImageFolderConfig = z.output<typeof ImageFolderConfigSchema>;
