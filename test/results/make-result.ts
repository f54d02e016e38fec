// Builds schema-valid result objects for tests, so each test states only what it varies.
import { RESULT_SCHEMA_VERSION, type Result } from '../../src/results/schema.js';

export interface ResultSpec {
  model: string;
  dataset: string;
  protocol: string;
  metrics: Record<string, number | null>;
  ci?: Record<string, { low: number; high: number }>;
  modality?: string;
  dims?: 2 | 3;
  candidates?: { params: Record<string, unknown>; score: number | null }[];
  extra?: Record<string, unknown>;
  preprocessing?: Record<string, unknown>;
}

export function makeResult(s: ResultSpec): Result {
  return {
    schema: RESULT_SCHEMA_VERSION,
    model: { name: s.model, fingerprint: 'f'.repeat(64), inputSize: 224, feature: 'pooled', runtime: { name: 'onnxruntime-node', version: '1.30.0' } },
    dataset: {
      name: s.dataset,
      fingerprint: 'd'.repeat(64),
      task: { type: 'binary', labels: ['normal', 'abnormal'] },
      dims: s.dims ?? 2,
      ...(s.modality ? { modality: s.modality } : {}),
      preprocessing: s.preprocessing ?? { resize: 224 },
      splitSizes: { train: 40, val: 10, test: 4 },
    },
    protocol: { name: s.protocol, config: {} },
    selection: { metric: 'auroc', split: 'val', chosen: {}, candidates: s.candidates ?? [] },
    metrics: s.metrics,
    ...(s.ci ? { ci: Object.fromEntries(Object.entries(s.ci).map(([k, v]) => [k, { ...v, level: 0.95, resamples: 1000 }])) } : {}),
    ...(s.extra ? { extra: s.extra } : {}),
    predictions: { split: 'test', ids: ['a', 'b', 'c', 'd'], labels: [[0], [1], [1], [0]], scores: [[0.1], [0.8], [0.6], [0.3]] },
    provenance: {
      medprobe: '0.1.0',
      node: process.version,
      runtime: {},
      seed: 0,
      files: {},
      featureCacheKeys: {},
      startedAt: '2026-01-01T00:00:00Z',
      wallSeconds: { total: 1 },
      host: 'test',
    },
  };
}
