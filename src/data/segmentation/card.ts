import { promises as fs } from 'node:fs';
import { z } from 'zod';
import YAML from 'yaml';
import { MedprobeError } from '../../util/errors.js';

/**
 * A segmentation dataset card: class names in class-index order and the pixel value that
 * encodes each class in the mask files. Class 0 is background.
 *
 * ```yaml
 * name: my-organs
 * classes:
 *   - { name: background, value: 0 }
 *   - { name: liver, value: 1 }
 * ```
 */
export const SegCardSchema = z
  .object({
    name: z.string().min(1),
    classes: z
      .array(z.object({ name: z.string().min(1), value: z.number().int().min(0) }).strict())
      .min(2, 'a segmentation card needs background plus at least one class'),
    /** Mask value marking pixels to ignore (neither trained on nor scored). */
    ignoreValue: z.number().int().min(0).optional(),
  })
  .strict();

export type SegCard = z.infer<typeof SegCardSchema>;

export function parseSegCard(value: unknown, source: string): SegCard {
  const r = SegCardSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new MedprobeError(`invalid segmentation card ${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      file: source,
      hint: 'a card lists classes as { name, value } with background first; see docs/segmentation.md',
    });
  }
  const values = r.data.classes.map((c) => c.value);
  if (new Set(values).size !== values.length) {
    throw new MedprobeError(`segmentation card ${source} gives two classes the same mask value`, { file: source, hint: 'each class needs its own pixel value' });
  }
  return r.data;
}

export async function loadSegCard(file: string): Promise<SegCard> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new MedprobeError(`segmentation card not found: ${file}`, { file, hint: 'put a card.yaml (name, classes) beside images/ and masks/' });
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new MedprobeError(`segmentation card ${file} does not parse: ${(e as Error).message.split('\n')[0]}`, { file, hint: 'fix the YAML/JSON syntax at the line shown' });
  }
  return parseSegCard(raw, file);
}

/** Value → class index lookup (255 = ignore, -1 = not in the card). */
export const IGNORE_CLASS = 255;

export function valueLookup(card: SegCard): Int16Array {
  const lut = new Int16Array(65536).fill(-1);
  card.classes.forEach((c, k) => (lut[c.value] = k));
  if (card.ignoreValue !== undefined) lut[card.ignoreValue] = IGNORE_CLASS;
  return lut;
}
