import { z } from 'zod';
import type { Method } from '../../engine/finetune/methods.js';
import { LORA_DEFAULTS } from '../../engine/finetune/methods.js';
import { MedprobeError } from '../../util/errors.js';
import { defaultFeatureOnly, defineProtocol, requireVal, type ProtocolRunInput } from '../protocol.js';
import { fineTuneClassifier, type FineTuneConfig } from './run.js';

/** The study's fine-tuning lr grid (Section 4.4 / appendix B): {5e-4 … 1e-7}. */
export const FINETUNE_LR_GRID = [5e-4, 1e-4, 5e-5, 1e-5, 5e-6, 1e-6, 1e-7];

const common = {
  headLr: z.number().positive().default(5e-3),
  epochs: z.number().int().positive().default(10),
  batchSize: z.number().int().positive().default(16),
  weightDecay: z.number().nonnegative().default(0.01),
  clipNorm: z.number().nonnegative().default(1),
  warmupFraction: z.number().min(0).max(1).default(0.1),
  maxTrainImages: z.number().int().positive().nullable().default(null),
  maxValImages: z.number().int().positive().nullable().default(null),
};

const FinetuneOptions = z.object({ lr: z.array(z.number().positive()).nonempty().default(FINETUNE_LR_GRID), ...common }).strict();
const BitfitOptions = FinetuneOptions;
const LoraOptions = z
  .object({
    lr: z.array(z.number().positive()).nonempty().default([2e-4]),
    rank: z.number().int().positive().default(LORA_DEFAULTS.rank),
    alpha: z.number().positive().default(LORA_DEFAULTS.alpha),
    dropout: z.number().min(0).max(0.9).default(LORA_DEFAULTS.dropout),
    targets: z.array(z.string().min(1)).nonempty().default(LORA_DEFAULTS.targets),
    ...common,
  })
  .strict();

async function runFineTune(input: ProtocolRunInput<FineTuneConfig>, method: Method, name: string) {
  const img = input.images;
  // Invariant: the runner passes images to every `inputs: 'images'` protocol (run/units.ts).
  if (!img) throw new MedprobeError(`${name} trains the backbone and needs the images; this runner passed only features`);
  requireVal(input, name);
  const out = await fineTuneClassifier({
    modelBytes: img.modelBytes, modelPath: img.modelPath, card: img.card, inputSize: img.inputSize, prepare: img.prepare, task: input.task, method, config: input.config, seed: input.seed,
    selectionMetric: input.selectionMetric, checkpointDir: img.workDir, sessionOptions: img.sessionOptions, log: img.log,
    splits: { train: img.splits.train!, val: img.splits.val!, test: img.splits.test! },
  });
  return { ...out, protocol: name };
}

const shared = {
  kind: 'classification' as const,
  mainScore: 'auroc' as const,
  inputs: 'images' as const,
  notApplicable: () => null,
  featureSets: defaultFeatureOnly,
};

export const finetuneProtocol = defineProtocol({
  ...shared,
  name: 'finetune',
  description: 'end-to-end fine-tuning: every backbone parameter plus a new linear head (AdamW, lr chosen on val)',
  options: FinetuneOptions,
  run: (input) => runFineTune(input, { kind: 'full' }, 'finetune'),
});

export const bitfitProtocol = defineProtocol({
  ...shared,
  name: 'bitfit',
  description: 'BitFit: only the backbone biases plus a new linear head (AdamW, lr chosen on val)',
  options: BitfitOptions,
  run: (input) => runFineTune(input, { kind: 'bitfit' }, 'bitfit'),
});

export const loraProtocol = defineProtocol({
  ...shared,
  name: 'lora',
  description: 'LoRA adapters (r 48, α 16, dropout 0.1) on the attention projections (or other Linear / 1×1 Conv targets) plus a new linear head',
  options: LoraOptions,
  run: (input) => runFineTune(input, { kind: 'lora', rank: input.config.rank, alpha: input.config.alpha, dropout: input.config.dropout, targets: input.config.targets }, 'lora'),
});
