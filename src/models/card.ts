import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import YAML from 'yaml';
import { MedprobeError } from '../util/errors.js';

/**
 * A model card: everything needed to turn an image into the tensor a backbone expects,
 * and to say which graph output is the feature. Preprocessing travels with the model (timm's idea).
 */
export const ModelInputSchema = z
  .object({
    /** Graph input name. */
    name: z.string().min(1),
    layout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
    /** Native square input size in pixels. */
    size: z.number().int().positive(),
    channels: z.literal(3).default(3),
    /** Multiplier applied to raw 8-bit pixel values before mean/std (1/255 maps to [0,1]). */
    rescale: z.number().positive().default(1 / 255),
    mean: z.tuple([z.number(), z.number(), z.number()]).default([0, 0, 0]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).default([1, 1, 1]),
    resample: z.enum(['bilinear', 'bicubic', 'nearest']).default('bilinear'),
  })
  .strict();

export const ModelCardSchema = z
  .object({
    name: z.string().min(1),
    /** Model file, relative to the card's directory. */
    file: z.string().min(1),
    format: z.enum(['onnx', 'tfjs-layers', 'tfjs-graph']).default('onnx'),
    input: ModelInputSchema,
    /** Feature name → graph output name. `pooled` is the default feature. */
    outputs: z.record(z.string(), z.string()).refine((o) => Object.keys(o).length > 0, 'at least one output'),
    license: z.string().optional(),
    description: z.string().optional(),
  })
  .strict();

export type ModelCard = z.infer<typeof ModelCardSchema>;
export type ModelInput = z.infer<typeof ModelInputSchema>;

/** A card plus where it lives, so its relative file can be resolved. */
export interface LoadedCard {
  card: ModelCard;
  cardPath: string;
  modelPath: string;
}

export function parseCard(value: unknown, source: string): ModelCard {
  const r = ModelCardSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new MedprobeError(`invalid model card ${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      file: source,
      hint: 'fix the card; see docs/model-cards.md for the fields',
    });
  }
  return r.data;
}

export async function loadCard(cardPath: string): Promise<LoadedCard> {
  let text: string;
  try {
    text = await fs.readFile(cardPath, 'utf8');
  } catch {
    throw new MedprobeError(`model card not found: ${cardPath}`, { file: cardPath, hint: 'check the path in your suite file' });
  }
  let raw: unknown;
  try {
    raw = cardPath.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new MedprobeError(`model card ${cardPath} is not valid ${cardPath.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`, { file: cardPath });
  }
  const card = parseCard(raw, cardPath);
  return { card, cardPath, modelPath: path.resolve(path.dirname(cardPath), card.file) };
}
