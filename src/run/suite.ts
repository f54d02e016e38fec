import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import YAML from 'yaml';
import { fileURLToPath } from 'node:url';
import { MedprobeError } from '../util/errors.js';
import { DatasetEntrySchema } from './dataset-entries.js';
import { ProtocolsSchema } from '../protocols/registry.js';
import { resolveModelArg } from '../models/resolve-arg.js';
import { PRECISIONS } from '../models/onnx/device.js';

export { DatasetEntrySchema };

/**
 * A suite file names the models, the datasets and the protocols of a run.
 * Every object is strict: a typo'd key is an error that names the key and the file,
 * never a silently ignored setting.
 */

const ModelEntry = z
  .object({
    /** A model card (YAML/JSON); its `file` is resolved relative to the card. */
    card: z.string().optional(),
    /** A local folder in the transformers.js / HF layout (config.json, preprocessor_config.json, onnx/model.onnx). */
    hub: z.string().optional(),
    /** Overrides the card's name in results. */
    name: z.string().optional(),
    /** Run at another input size than the card's native one (ViTs with dynamic H/W). */
    inputSize: z.number().int().positive().optional(),
    /** Feature names to extract; the first is the one protocols use by default. */
    features: z.array(z.string()).optional(),
  })
  .strict()
  .refine((m) => (m.card ? 1 : 0) + (m.hub ? 1 : 0) === 1, 'give exactly one of `card` or `hub`');


export { ProtocolsSchema };

export const SuiteSchema = z
  .object({
    name: z.string().default('suite'),
    /** Shipped suites are versioned: results of different versions are not comparable. */
    version: z.string().optional(),
    description: z.string().optional(),
    seed: z.number().int().nonnegative().default(0),
    /** Feature cache and downloads; default $MEDPROBE_CACHE or ~/.cache/medprobe. */
    cacheDir: z.string().optional(),
    /** Where result JSONs go; default `results/` next to the suite file. */
    resultsDir: z.string().optional(),
    /**
     * Extraction batch. Absent: chosen per model from its activation size at the run's input size
     * and the memory budget (models/batch-memory.ts; 32 for models without an estimate). Given: kept,
     * and the plan flags it when its expected peak exceeds the budget. Features do not depend on it.
     */
    batchSize: z.number().int().positive().optional(),
    /**
     * Backbone precision (docs/devices.md): fp32 (default), fp16 or int8, for every model of the
     * suite; `--precision` overrides it. Recorded in each result's provenance.compute and in the
     * feature-cache keys, as the flag is. ONNX backbones only.
     */
    precision: z.enum(PRECISIONS).optional(),
    /** Metric used to choose hyperparameters on the validation split. */
    selectionMetric: z.enum(['auroc', 'accuracy', 'balancedAccuracy', 'macroF1']).default('auroc'),
    bootstrap: z.object({ resamples: z.number().int().nonnegative().default(1000), level: z.number().gt(0).lt(1).default(0.95) }).strict().default({ resamples: 1000, level: 0.95 }),
    /** Shipped suites name none: the models come from `--model`. */
    models: z.array(ModelEntry).default([]),
    datasets: z.array(DatasetEntrySchema).nonempty(),
    protocols: ProtocolsSchema,
  })
  .strict();

export type Suite = z.infer<typeof SuiteSchema>;
export type ModelEntry = z.infer<typeof ModelEntry>;
export type DatasetEntry = z.infer<typeof DatasetEntrySchema>;

export interface LoadedSuite {
  suite: Suite;
  file: string;
  /** Directory that relative paths in the suite are resolved against. */
  baseDir: string;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

function describeIssue(issue: z.core.$ZodIssue, file: string): string {
  const where = issue.path.length ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')} at ${where} in ${file}`;
  }
  return `${where}: ${issue.message} in ${file}`;
}

/** A "did you mean" for an unknown key at the top level or among the protocols. */
function suggestion(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'unrecognized_keys') return undefined;
  const known: Record<string, readonly string[]> = { '': Object.keys(SuiteSchema.shape), protocols: Object.keys(ProtocolsSchema.shape) };
  const candidates = known[issue.path.join('.')];
  if (!candidates) return undefined;
  const bad = (issue as { keys: string[] }).keys[0];
  const best = [...candidates].sort((x, y) => editDistance(bad, x) - editDistance(bad, y))[0];
  // Only near misses count as typos: 'protocls' → protocols, not 'svm' → knn.
  return editDistance(bad, best) <= Math.max(1, Math.floor(bad.length / 3)) ? `did you mean '${best}'?` : `valid keys: ${candidates.join(', ')}`;
}

export function parseSuite(raw: unknown, file: string): Suite {
  const r = SuiteSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new MedprobeError(`invalid suite: ${describeIssue(issue, file)}`, { file, hint: suggestion(issue) ?? 'see examples/pneumonia.yaml' });
  }
  return r.data;
}

/** The suite's protocols narrowed to `names`; a name the suite does not configure is an error naming those it does. */
function pickProtocols(suite: Suite, names: readonly string[], file: string): Suite['protocols'] {
  const configured = Object.keys(suite.protocols).filter((k) => suite.protocols[k as keyof Suite['protocols']] !== undefined);
  const unknown = names.filter((n) => !configured.includes(n));
  if (unknown.length) {
    throw new MedprobeError(`--protocols ${unknown.join(',')}: not a protocol of suite ${suite.name}`, { file, hint: `this suite runs ${configured.join(', ')}; add the protocol to its protocols: section to run it` });
  }
  return Object.fromEntries(configured.filter((k) => names.includes(k)).map((k) => [k, suite.protocols[k as keyof Suite['protocols']]])) as Suite['protocols'];
}

/** Suites shipped with the package (`medprobe run medmnist-2d --model …`). */
export const SHIPPED_SUITES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../suites');

async function readable(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function shippedSuiteNames(): Promise<string[]> {
  try {
    return (await fs.readdir(SHIPPED_SUITES_DIR)).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
  } catch {
    return [];
  }
}

export interface LoadSuiteOptions {
  /** Models given on the command line; they replace the suite's own. */
  models?: readonly string[];
  /** Image size for every MedMNIST dataset of the suite (`--size`). */
  medmnistSize?: 28 | 64 | 128 | 224;
  /** Where pulled hub models are looked up for `models` given by catalog or hub id (default: the suite's cacheDir, else $MEDPROBE_CACHE). */
  cacheDir?: string;
  /** Run only these of the suite's protocols (`--protocols`); each must be configured in the suite. */
  protocols?: readonly string[];
}

/**
 * Load a suite file, or a shipped suite by name. Paths inside a suite file are relative to it;
 * a shipped suite's are relative to the working directory (it names no files of its own).
 */
export async function loadSuite(ref: string, opts: LoadSuiteOptions = {}): Promise<LoadedSuite> {
  let file = ref;
  let baseDir = path.dirname(path.resolve(ref));
  if (!(await readable(ref))) {
    const shipped = path.join(SHIPPED_SUITES_DIR, `${ref}.yaml`);
    if (!/[\\/]/.test(ref) && (await readable(shipped))) {
      file = shipped;
      baseDir = process.cwd();
    } else {
      throw new MedprobeError(`suite file not found: ${ref}`, { file: ref, hint: `pass the path of a suite YAML (e.g. examples/pneumonia.yaml) or a shipped suite: ${(await shippedSuiteNames()).join(', ')}` });
    }
  }
  const text = await fs.readFile(file, 'utf8');
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (e) {
    throw new MedprobeError(`suite ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`, { file, hint: 'fix the YAML at the line and column shown (indentation, an unclosed [ or {); examples/ holds working suites' });
  }
  const suite = parseSuite(raw, file);
  if (opts.models?.length) {
    const cacheDir = opts.cacheDir ?? (suite.cacheDir ? path.resolve(baseDir, suite.cacheDir) : undefined);
    suite.models = await Promise.all(opts.models.map((m) => resolveModelArg(m, { cacheDir })));
  }
  if (opts.protocols?.length) suite.protocols = pickProtocols(suite, opts.protocols, file);
  if (opts.medmnistSize) for (const d of suite.datasets) if (d.source === 'medmnist') d.size = opts.medmnistSize;
  if (suite.models.length === 0) {
    throw new MedprobeError(`suite ${suite.name} names no model`, { file, hint: 'pass one with --model <catalog id | card.yaml | hub folder> (repeatable)' });
  }
  return { suite, file: path.resolve(file), baseDir };
}
