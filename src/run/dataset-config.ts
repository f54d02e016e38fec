import { promises as fs } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { MedprobeError } from '../util/errors.js';
import { defaultCacheDir } from '../util/paths.js';
import { DatasetEntrySchema } from './dataset-entries.js';
import { loadSuite, type DatasetEntry } from './suite.js';
import { resolveRunLocation } from './resources.js';
import type { DatasetContext } from './datasets.js';

/** Dataset entries named by a file the `data` commands take: a whole suite, or one dataset entry. */
export interface DatasetConfigs {
  file: string;
  entries: DatasetEntry[];
  ctx: DatasetContext & { resultsDir: string };
}

/**
 * A suite YAML (every entry of `datasets:`) or a YAML/JSON holding one dataset entry (`source: …`).
 * Paths resolve against the file; reports go to the suite's results folder, or `results/` beside
 * a lone entry.
 */
export async function loadDatasetConfigs(file: string, overrides: { cacheDir?: string; resultsDir?: string } = {}): Promise<DatasetConfigs> {
  const abs = path.resolve(file);
  let raw: unknown;
  try {
    raw = YAML.parse(await fs.readFile(abs, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MedprobeError(code === 'ENOENT' ? `config not found: ${abs}` : `${abs} is not valid YAML: ${(e as Error).message.split('\n')[0]}`, { file: abs, hint: 'pass a suite YAML or a dataset entry YAML' });
  }
  if (raw && typeof raw === 'object' && 'datasets' in raw) {
    const loaded = await loadSuite(abs);
    const loc = resolveRunLocation(loaded, overrides);
    return { file: abs, entries: loaded.suite.datasets, ctx: { baseDir: loc.baseDir, cacheDir: loc.cacheDir, resultsDir: loc.resultsDir } };
  }
  const r = DatasetEntrySchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new MedprobeError(`invalid dataset entry in ${abs}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, { file: abs, hint: 'a dataset entry has `source: medmnist | folder | volumes | registry`; see docs/datasets.md' });
  }
  const baseDir = path.dirname(abs);
  return {
    file: abs,
    entries: [r.data],
    ctx: { baseDir, cacheDir: path.resolve(overrides.cacheDir ?? defaultCacheDir()), resultsDir: path.resolve(overrides.resultsDir ?? path.join(baseDir, 'results')) },
  };
}
