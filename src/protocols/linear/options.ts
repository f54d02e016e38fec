import { z } from 'zod';

/**
 * The linear probe's suite options. Every default here is THE default: runLinearProbe and the
 * few-shot linear arm read theirs from this schema, so a suite and a library call agree.
 */
export const LinearOptionsSchema = z
  .object({
    /** The reference study's learning-rate grid. */
    lr: z.array(z.number().positive()).nonempty().default([1e-1, 5e-2, 1e-2, 5e-3, 1e-3, 5e-4, 1e-4, 1e-5]),
    /**
     * L2 strength (gradient wd·W on the mean loss, i.e. sklearn's C = 1/(wd·n)), chosen on val
     * with the lr. Decades up to 1, so the grid spans the regularisation a tuned
     * LogisticRegression picks on val: wd ≈ 0.07 on PneumoniaMNIST, ≈ 0.8 on AdrenalMNIST3D
     * (MobileNetV2 features; docs/results/protocols.md §5). Without them the probe sat 0.01 AUROC lower.
     */
    weightDecay: z.array(z.number().nonnegative()).nonempty().default([0, 1e-4, 1e-3, 1e-2, 1e-1, 1]),
    epochs: z.number().int().positive().default(100),
    batchSize: z.number().int().positive().default(128),
    /**
     * Feature sets that get their own heads in the one-pass grid. `auto`: for ViT cards the
     * study's {last 1, last 4 blocks} × {CLS, CLS + mean patch}; otherwise the model's feature.
     */
    featureSets: z.union([z.literal('auto'), z.array(z.string()).nonempty()]).default('auto'),
    /**
     * Repeat the whole grid under these seeds (shuffle order is the stochastic part) and report
     * each test metric as mean ± sd in `extra.seeds`; the headline metrics and per-sample scores
     * are the first seed's. Default: the suite seed alone.
     */
    seeds: z.array(z.number().int().nonnegative()).nonempty().optional(),
  })
  .strict();

export type LinearConfig = z.infer<typeof LinearOptionsSchema>;

export const LINEAR_DEFAULTS: Readonly<LinearConfig> = LinearOptionsSchema.parse({});
