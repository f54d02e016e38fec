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
    /**
     * How the lr is chosen. `train-loss`: per feature set × weight decay, the lr whose head ends
     * lowest on its training objective (loss + wd/2·‖W‖²): the lr is the optimiser's step, not a
     * model choice, so val then picks only the feature set and the L2 strength, as a tuned
     * LogisticRegression picks C. `val`: the reference study's rule, every head competes on val;
     * slow lrs then act as early stopping, a second regulariser val can overfit: over 30 draws of
     * AdrenalMNIST3D's 98-volume val it landed more than 0.005 AUROC below sklearn in 27–50 % of
     * them, `train-loss` (with minSteps) in 10–13 % (docs/results/protocols.md §5.2).
     */
    lrSelection: z.enum(['train-loss', 'val']).default('train-loss'),
    epochs: z.number().int().positive().default(100),
    /**
     * Train at least this many SGD steps: on small datasets the epochs rise to
     * ceil(minSteps / steps per epoch), so heads get near their objective's minimum (100 epochs
     * of AdrenalMNIST3D are 1000 steps). On AdrenalMNIST3D 64³ it halved the spread of the gap to
     * sklearn over 30 val draws (sd 0.009 → 0.006; docs/results/protocols.md §5.2). 0 trains exactly `epochs`.
     */
    minSteps: z.number().int().nonnegative().default(5000),
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
