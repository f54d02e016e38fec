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
    /** HF-style preprocessing: resize so the shortest edge is this many pixels (aspect kept), then center-crop. */
    resizeShortestEdge: z.number().int().positive().optional(),
    /** Center-crop side after `resizeShortestEdge`; defaults to `size`. */
    cropSize: z.number().int().positive().optional(),
  })
  .strict();

/** How a ViT's token sequence [N, 1 + R + (H/p)(W/p), D] is laid out. */
export const VitInfoSchema = z
  .object({
    patchSize: z.number().int().positive(),
    /** DINOv2-with-registers has 4; registers are skipped by every view. */
    numRegisterTokens: z.number().int().nonnegative().default(0),
    /** SAM-style encoders have none; then `cls` views are invalid and mean-patch is the default. */
    hasClsToken: z.boolean().default(true),
    /** Graph output holding the token sequence, used for the derived views (default last_hidden_state). */
    tokensOutput: z.string().min(1).default('last_hidden_state'),
  })
  .strict();

export const TOKEN_VIEWS = ['cls', 'mean-patch', 'cls+mean-patch', 'patch-grid', 'tokens'] as const;
export type TokenView = (typeof TOKEN_VIEWS)[number];

/**
 * A feature read from a graph output. `output` is a graph output name, or `block:-1` /
 * `block:-4..-1` for the last transformer blocks (found and exposed by editing the graph;
 * each gets the model's final LayerNorm). Without `view`: [N,D] is used as is, [N,C,H,W] is
 * globally averaged, tokens use `cls` (or `mean-patch` when the model has no CLS token).
 */
export const FeatureViewSchema = z
  .object({
    output: z.string().min(1),
    view: z.enum(TOKEN_VIEWS).optional(),
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
    /** Feature name → token/block view (ViTs). Names must not repeat keys of `outputs`. */
    features: z.record(z.string(), FeatureViewSchema).optional(),
    /** The feature used when a suite names none (else `pooled`, else the first of `outputs`). */
    defaultFeature: z.string().min(1).optional(),
    vit: VitInfoSchema.optional(),
    /**
     * Feature name → how a 4-D map becomes a row (TF.js backbones): `avg` global-average-pools
     * over H,W; `none` keeps the whole map, flattened channel-major (NCHW). Absent: a 4-D map is
     * averaged, as ONNX cards do.
     */
    pool: z.record(z.string(), z.enum(['avg', 'none'])).optional(),
    /**
     * Feature maps segmentation reads when a suite says `maps: auto`, deepest first (graph
     * outputs or `block:-k`). Absent: a ViT's last 4 blocks; other models must name them.
     */
    segmentationMaps: z.array(z.string().min(1)).min(1).optional(),
    license: z.string().optional(),
    description: z.string().optional(),
  })
  .strict();

export type ModelCard = z.infer<typeof ModelCardSchema>;
export type ModelInput = z.infer<typeof ModelInputSchema>;
export type VitInfo = z.infer<typeof VitInfoSchema>;
export type FeatureView = z.infer<typeof FeatureViewSchema>;

/** The card's default feature name: `defaultFeature`, else `pooled`, else the first output. */
export function defaultFeatureOf(card: ModelCard): string {
  if (card.defaultFeature) return card.defaultFeature;
  if ('pooled' in card.outputs) return 'pooled';
  return Object.keys(card.outputs)[0];
}

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
      hint: 'fix the card; see docs/models.md for the fields',
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
    throw new MedprobeError(`model card ${cardPath} is not valid ${cardPath.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`, { file: cardPath, hint: 'fix the syntax at the line shown (`medprobe models show <id>` prints a working card)' });
  }
  const card = parseCard(raw, cardPath);
  return { card, cardPath, modelPath: path.resolve(path.dirname(cardPath), card.file) };
}
