import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pullMedMNIST } from '../data/medmnist/pull.js';
import { medmnistFileName, type MedMNISTSize } from '../data/medmnist/registry.js';
import { resolveModelArg } from '../models/resolve-arg.js';
import { MedprobeError } from '../util/errors.js';
import { defaultCacheDir } from '../util/paths.js';
import { parseSuite, type LoadedSuite } from './suite.js';

/**
 * The embedded default: PneumoniaMNIST (28 px) through MobileNetV2-0.35, kNN + linear probe.
 * Both files ship inside the package (assets/default/, with licences and attribution), so the
 * quickstart runs offline on a fresh machine.
 */
export const QUICKSTART_DATASET = 'pneumoniamnist';
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EMBEDDED_DEFAULT = {
  data: path.join(PACKAGE_ROOT, 'assets', 'default', 'pneumoniamnist.npz'),
  card: path.join(PACKAGE_ROOT, 'examples', 'models', 'mobilenetv2-035-imagenet.yaml'),
  attribution: path.join(PACKAGE_ROOT, 'assets', 'default', 'ATTRIBUTION.md'),
  description: 'MobileNetV2-0.35 ImageNet (Apache-2.0) × PneumoniaMNIST 28 px (CC BY 4.0)',
} as const;

export interface QuickstartOptions {
  /** Folder holding pneumoniamnist.npz at `size` (or the npz itself); otherwise the embedded copy (28 px) or a download. */
  dataDir?: string;
  /** PneumoniaMNIST image size; only 28 is embedded, other sizes are pulled from MedMNIST's URL. */
  size?: MedMNISTSize;
  /** Pull PneumoniaMNIST from MedMNIST's official URL (MD5-checked) even at 28 px. */
  download?: boolean;
  /** A catalog id, hub id, card or hub-layout folder; hub models are pulled when not cached. Default: the embedded MobileNetV2. */
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

async function resolveData(o: QuickstartOptions, cacheDir: string, size: MedMNISTSize): Promise<string> {
  if (!o.dataDir) {
    if (size === 28 && !o.download) return EMBEDDED_DEFAULT.data;
    return pullMedMNIST(QUICKSTART_DATASET, { size, cacheDir, baseUrl: o.medmnistBaseUrl, md5: o.medmnistMd5 });
  }
  const given = path.resolve(o.dataDir);
  const st = await statOrNull(given);
  const file = st?.isDirectory() ? path.join(given, medmnistFileName(QUICKSTART_DATASET, size)) : given;
  if (!(await statOrNull(file))?.isFile()) {
    throw new MedprobeError(`--data-dir: ${file} not found`, { file, hint: `point --data-dir at a folder holding ${medmnistFileName(QUICKSTART_DATASET, size)}` });
  }
  return file;
}

/** Whether the quickstart runs entirely on the embedded default (what it says on start). */
export function usesEmbeddedDefault(o: QuickstartOptions): { data: boolean; model: boolean } {
  return { data: !o.dataDir && !o.download && (o.size ?? 28) === 28, model: !o.model };
}

/** Resolve (downloading when needed) the quickstart's data and model, and build its suite. */
export async function quickstartSuite(o: QuickstartOptions): Promise<LoadedSuite> {
  const cacheDir = path.resolve(o.cacheDir ?? defaultCacheDir());
  const size = o.size ?? 28;
  const [file, model] = await Promise.all([
    resolveData(o, cacheDir, size),
    o.model ? resolveModelArg(o.model, { cacheDir, pull: true, hubEndpoint: o.hubEndpoint }) : Promise.resolve({ card: EMBEDDED_DEFAULT.card }),
  ]);
  const baseDir = process.cwd();
  const suite = parseSuite(
    {
      name: 'quickstart',
      seed: 0,
      cacheDir,
      resultsDir: path.resolve(o.resultsDir ?? 'medprobe-results/quickstart'),
      models: [model],
      datasets: [{ source: 'medmnist', name: QUICKSTART_DATASET, size, file }],
      protocols: { knn: {}, linear: {} },
    },
    'quickstart (built-in suite)',
  );
  return { suite, file: 'quickstart', baseDir };
}
