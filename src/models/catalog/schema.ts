import { z } from 'zod';
import { ModelCardSchema } from '../card.js';

/**
 * A number a card claims. "No card may claim a number it cannot source": a value always carries
 * where it comes from (URL or paper section); a number we could not source is `null` and says why.
 */
export const SourcedNumberSchema = z.union([
  z.object({ value: z.number().positive(), source: z.string().min(8), note: z.string().optional() }).strict(),
  z.object({ value: z.null(), unknown: z.string().min(3) }).strict(),
]);
export type SourcedNumber = z.infer<typeof SourcedNumberSchema>;

/** A text fact with its source (licence, release month), or null with the reason it is unknown. */
export const SourcedTextSchema = z.union([
  z.object({ value: z.string().min(1), source: z.string().min(8), note: z.string().optional() }).strict(),
  z.object({ value: z.null(), unknown: z.string().min(3) }).strict(),
]);
export type SourcedText = z.infer<typeof SourcedTextSchema>;

const Triple = z.tuple([z.number(), z.number(), z.number()]);

/** What the model expects as input (timm's pretrained config, HF's preprocessor_config). */
export const CatalogPreprocessingSchema = z
  .object({
    /** Side the model was pretrained/evaluated at (the square the ONNX export takes). */
    size: z.number().int().positive(),
    /** Resize the shortest edge to this, then center-crop `size` (absent: resize straight to `size`). */
    resizeShortestEdge: z.number().int().positive().optional(),
    resample: z.enum(['bilinear', 'bicubic', 'nearest']),
    mean: Triple,
    std: Triple,
    /** Multiplier on 8-bit pixels before mean/std (1/255 maps to [0,1]). */
    rescale: z.number().positive(),
    source: z.string().min(8),
  })
  .strict();

export const WEIGHTS_ACCESS = ['open', 'gated', 'closed'] as const;
export const OPENNESS_LEVEL = ['open', 'partial', 'closed', 'unknown'] as const;
export const LICENCE_RESTRICTION = ['none', 'non-commercial', 'research-only', 'unknown'] as const;

/** The raw openness facts (bio.rodeo spirit); class and score are derived by `assessOpenness`. */
export const OpennessFactsSchema = z
  .object({
    /** open: downloadable by anyone; gated: after sign-up/approval; closed: not released. */
    weights: z.enum(WEIGHTS_ACCESS),
    /** open: the code that trained these weights is public; partial: a recipe/framework but not the exact pipeline. */
    trainingCode: z.enum(OPENNESS_LEVEL),
    /** open: the pretraining images can be obtained by anyone; partial: some, or only lists/URLs, or behind agreements. */
    trainingData: z.enum(OPENNESS_LEVEL),
    /** Use restriction of the weights' licence or terms (model-card "research only" counts). */
    licenceRestriction: z.enum(LICENCE_RESTRICTION),
    /** Why: one or two sentences with the evidence. */
    evidence: z.string().min(10),
  })
  .strict();
export type OpennessFacts = z.infer<typeof OpennessFactsSchema>;

export const CitationSchema = z
  .object({
    bibtexKey: z.string().regex(/^[a-z][a-z0-9]*\d{4}[a-z0-9]*$/i, 'bibtex key like oquab2023dinov2'),
    title: z.string().min(5),
    venue: z.string().min(2),
    year: z.number().int().min(1990).max(2100),
    arxiv: z.string().regex(/^\d{4}\.\d{4,5}$/).nullable(),
  })
  .strict();

/** How to get an ONNX file medprobe can run. */
export const ExportRecipeSchema = z
  .object({
    /** `optimum-cli` (HF transformers models) or `torch.onnx.export` (timm/torchvision/open_clip/original repos). */
    tool: z.enum(['optimum-cli', 'torch.onnx.export', 'provided']),
    /** The exact command or Python script (run in the folder where the ONNX file should land). */
    command: z.string().min(10),
    notes: z.string().optional(),
    /**
     * The medprobe model card for what the command writes, `file` relative to the folder it ran in
     * (`medprobe models recipe <id> --out <dir>` writes both there). Absent: write one (docs/models.md),
     * or for an optimum-cli folder pass the folder itself.
     */
    card: ModelCardSchema.optional(),
    /** What was verified about this recipe, and what was not (e.g. never run against the real weights). */
    checked: z.string().min(10).optional(),
  })
  .strict();

export const CatalogCardSchema = z
  .object({
    /** Short stable id used on the CLI: lowercase, digits, dashes. */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    name: z.string().min(2),
    organisation: z.string().min(2),
    /** Architecture family and size, e.g. `ViT-L/14`. */
    architecture: z.string().min(2),
    /** How the frozen feature is read (CLS, mean of patch tokens, global average pool). */
    featureReadout: z.string().min(3),
    /** Hugging Face hub id of the weights, when hosted there. */
    hubId: z.string().regex(/^[\w.-]+\/[\w.-]+$/).nullable(),
    /** Hub repos holding a ready transformers.js-layout ONNX export (`medprobe models pull` them). */
    onnxHubIds: z.array(z.string().regex(/^[\w.-]+\/[\w.-]+$/)).optional(),
    params: SourcedNumberSchema,
    patchSize: SourcedNumberSchema.nullable(),
    nativeResolution: SourcedNumberSchema,
    embeddingDim: SourcedNumberSchema,
    pretraining: z
      .object({
        method: z.string().min(2),
        data: z.string().min(2),
        images: SourcedNumberSchema,
      })
      .strict(),
    /** Null-with-reason when the publisher's preprocessing could not be sourced. */
    preprocessing: z.union([CatalogPreprocessingSchema, z.object({ unknown: z.string().min(3) }).strict()]),
    licence: SourcedTextSchema,
    citation: CitationSchema,
    /** Month of first public release, `YYYY-MM`. */
    released: SourcedTextSchema.refine((r) => r.value === null || /^\d{4}-\d{2}$/.test(r.value), 'released must be YYYY-MM'),
    openness: OpennessFactsSchema,
    onnx: ExportRecipeSchema,
    /** medprobe model cards (repo-relative) that run these weights, when we ship one. */
    localCards: z.array(z.string().min(1)).optional(),
    /** In the reference study's Table 2 (DINOv2 on radiology benchmarks). */
    inReferenceStudy: z.boolean(),
  })
  .strict();

export type CatalogCard = z.infer<typeof CatalogCardSchema>;
