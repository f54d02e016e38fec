import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pullMedMNIST } from '../data/medmnist/pull.js';
import { medmnistFileName } from '../data/medmnist/registry.js';
import { pullHubModel } from '../models/hub-pull.js';
import { MedprobeError } from '../util/errors.js';
import { defaultCacheDir } from '../util/paths.js';
import { parseSuite, type LoadedSuite } from './suite.js';

/** The embedded default: PneumoniaMNIST through DINOv2-S, kNN + linear probe. */
export const QUICKSTART_DATASET = 'pneumoniamnist';
export const QUICKSTART_MODEL = 'onnx-community/dinov2-small';

export interface QuickstartOptions {
  /** Folder holding pneumoniamnist.npz (or the npz itself); otherwise pulled from MedMNIST's URL. */
  dataDir?: string;
  /** A model card, a hub-layout folder; otherwise onnx-community/dinov2-small is pulled. */
  model?: string;
  cacheDir?: string;
  resultsDir?: string;
  /** Overrides for mirrors and tests: origin of MedMNIST's URL, its expected MD5, and the hub endpoint. */
  medmnistBaseUrl?: string;
  medmnistMd5?: string;
  hubEndpoint?: string;
}

async function statOrNull(p: string) {
  try {
    return await fs.stat(p);
  } catch {
    return null;
  }
}

async function resolveData(o: QuickstartOptions, cacheDir: string): Promise<string> {
  if (!o.dataDir) return pullMedMNIST(QUICKSTART_DATASET, { size: 28, cacheDir, baseUrl: o.medmnistBaseUrl, md5: o.medmnistMd5 });
  const given = path.resolve(o.dataDir);
  const st = await statOrNull(given);
  const file = st?.isDirectory() ? path.join(given, medmnistFileName(QUICKSTART_DATASET, 28)) : given;
  if (!(await statOrNull(file))?.isFile()) {
    throw new MedprobeError(`--data-dir: ${file} not found`, { file, hint: `point --data-dir at a folder holding ${medmnistFileName(QUICKSTART_DATASET, 28)}` });
  }
  return file;
}

async function resolveModel(o: QuickstartOptions, cacheDir: string): Promise<{ card: string } | { hub: string }> {
  if (!o.model) return { hub: await pullHubModel(QUICKSTART_MODEL, { cacheDir, endpoint: o.hubEndpoint }) };
  const given = path.resolve(o.model);
  const st = await statOrNull(given);
  if (st?.isDirectory()) return { hub: given };
  if (st?.isFile() && /\.(ya?ml|json)$/i.test(given)) return { card: given };
  if (st?.isFile() && /\.onnx$/i.test(given)) {
    throw new MedprobeError(`--model ${given} is a bare ONNX file; medprobe needs its card (input name, size, mean/std, feature output)`, {
      file: given,
      hint: 'pass a card YAML (see examples/models/) or a hub folder with config.json and preprocessor_config.json',
    });
  }
  throw new MedprobeError(`--model ${given} not found`, { file: given, hint: 'pass a model card file or a hub-layout folder' });
}

/** Resolve (downloading when needed) the quickstart's data and model, and build its suite. */
export async function quickstartSuite(o: QuickstartOptions): Promise<LoadedSuite> {
  const cacheDir = path.resolve(o.cacheDir ?? defaultCacheDir());
  const [file, model] = await Promise.all([resolveData(o, cacheDir), resolveModel(o, cacheDir)]);
  const baseDir = process.cwd();
  const suite = parseSuite(
    {
      name: 'quickstart',
      seed: 0,
      cacheDir,
      resultsDir: path.resolve(o.resultsDir ?? 'medprobe-results/quickstart'),
      models: [model],
      datasets: [{ source: 'medmnist', name: QUICKSTART_DATASET, size: 28, file }],
      protocols: { knn: {}, linear: {} },
    },
    'quickstart (built-in suite)',
  );
  return { suite, file: 'quickstart', baseDir };
}
