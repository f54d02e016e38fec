import { createHash } from 'node:crypto';
import type { DatasetSource, SplitName } from '../data/types.js';
import { requireSplit } from '../data/types.js';
import type { Backbone } from '../models/backbone.js';
import type { Matrix } from '../util/matrix.js';
import { createProgress } from '../util/progress.js';
import { runtimeVersions } from '../util/versions.js';
import { FeatureCache, featureKey } from './cache.js';
import { extractFeatures } from './extract.js';
import type { PrepareSpec } from './prepare.js';

export interface FeatureRequest {
  cache: FeatureCache;
  backbone: Backbone;
  dataset: DatasetSource;
  split: SplitName;
  features: readonly string[];
  prepare: PrepareSpec;
  /** Hash of the exact preprocessing (recipe + resolved normalisation). */
  preprocessingHash: string;
  batchSize?: number;
}

export interface SplitFeatures {
  matrices: Record<string, Matrix>;
  /** 3D: slice rows of volume i are offsets[i]..offsets[i+1]. */
  offsets?: Int32Array;
  keys: Record<string, string>;
  /** True when nothing had to be computed. */
  cached: boolean;
  extractSeconds: number;
}

function idsHash(ids: readonly string[]): string {
  const h = createHash('sha256');
  for (const id of ids) h.update(id).update('\0');
  return h.digest('hex');
}

/** Features of one split from the cache, extracting (all requested features in one pass) only what is missing. */
export async function ensureFeatures(req: FeatureRequest): Promise<SplitFeatures> {
  const { cache, backbone, dataset, split, features } = req;
  const keyOf = (feature: string): string =>
    featureKey({
      modelFingerprint: backbone.fingerprint,
      inputSize: backbone.inputSize,
      datasetFingerprint: dataset.fingerprint,
      split: dataset.dims === 3 ? `${split}/${req.prepare.axis}` : split,
      preprocessing: req.preprocessingHash,
      feature,
    });
  const keys = Object.fromEntries(features.map((f) => [f, keyOf(f)]));
  const present = await Promise.all(features.map((f) => cache.has(keys[f])));
  if (present.every(Boolean)) {
    const matrices: Record<string, Matrix> = {};
    let offsets: Int32Array | undefined;
    for (const f of features) {
      const e = await cache.read(keys[f]);
      matrices[f] = e.matrix;
      offsets = e.offsets ?? offsets;
    }
    return { matrices, offsets, keys, cached: true, extractSeconds: 0 };
  }

  const source = requireSplit(dataset, split);
  const t0 = performance.now();
  const progress = createProgress(`${backbone.card.name} · ${dataset.name}/${split}`, source.size, dataset.dims === 3 ? 'vol' : 'img');
  let out;
  try {
    out = await extractFeatures({ backbone, split: source, features, prepare: req.prepare, batchSize: req.batchSize, progress });
  } finally {
    progress.stop();
  }
  const extractSeconds = (performance.now() - t0) / 1000;
  const ids = idsHash(source.ids);
  for (const f of features) {
    await cache.write(
      keys[f],
      out.matrices[f],
      {
        modelFingerprint: backbone.fingerprint,
        inputSize: backbone.inputSize,
        datasetFingerprint: dataset.fingerprint,
        split,
        preprocessing: req.preprocessingHash,
        feature: f,
        idsHash: ids,
        createdAt: new Date().toISOString(),
        extractSeconds,
        medprobe: runtimeVersions().medprobe,
      },
      out.offsets,
    );
  }
  return { matrices: out.matrices, offsets: out.offsets, keys, cached: false, extractSeconds };
}
