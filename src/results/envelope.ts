import os from 'node:os';
import path from 'node:path';
import { runtimeVersions } from '../util/versions.js';
import { RESULT_SCHEMA_VERSION, type Result } from './schema.js';

/** What a protocol run knows about its own provenance; versions, host and schema tag are filled in here. */
export interface EnvelopeProvenance {
  unitKey: string;
  seed: number;
  files: Record<string, string>;
  featureCacheKeys: Record<string, string>;
  wallSeconds: Record<string, number>;
  /** Runtimes beyond this process's (a TF.js backbone's, for instance). */
  runtime?: Record<string, string>;
  /** Device and threads of the run (backbone sessions; engine graphs use the same process choice). */
  compute?: Result['provenance']['compute'];
  /** Extraction batch of the features read (plan.ts). */
  batch?: Result['provenance']['batch'];
  startedAt?: string;
  /** Folder that file names are written relative to (the suite file's); default: the working directory. */
  baseDir?: string;
}

export type EnvelopeParts = Omit<Result, 'schema' | 'provenance'> & { provenance: EnvelopeProvenance };

/**
 * A file as provenance names it: relative to the suite's folder (or the working directory), with `/`
 * separators, so a result shared outside the hospital carries no user name or mount point, and a
 * queue worker started elsewhere writes the same result as a local run.
 */
export function provenancePath(file: string, baseDir = process.cwd()): string {
  return path.isAbsolute(file) ? path.relative(baseDir, file).split(path.sep).join('/') || '.' : file.split(path.sep).join('/');
}

/** The host name is recorded only when asked (MEDPROBE_RECORD_HOST=1): a hospital may not publish it. */
function recordedHost(): { host?: string } {
  return process.env.MEDPROBE_RECORD_HOST === '1' ? { host: os.hostname() } : {};
}

/**
 * THE result envelope: every result file (classification or segmentation, suite unit or CLI
 * shortcut) is built here, so the schema tag, versions and provenance fields are filled one way.
 */
export function resultEnvelope(p: EnvelopeParts): Result {
  const versions = runtimeVersions();
  const { provenance, ...rest } = p;
  return {
    schema: RESULT_SCHEMA_VERSION,
    ...rest,
    provenance: {
      unitKey: provenance.unitKey,
      medprobe: versions.medprobe,
      node: versions.node,
      runtime: { ...versions.runtime, ...provenance.runtime },
      ...(provenance.compute ? { compute: provenance.compute } : {}),
      ...(provenance.batch ? { batch: provenance.batch } : {}),
      seed: provenance.seed,
      files: Object.fromEntries(Object.entries(provenance.files).map(([f, h]) => [provenancePath(f, provenance.baseDir), h])),
      featureCacheKeys: provenance.featureCacheKeys,
      startedAt: provenance.startedAt ?? new Date().toISOString(),
      wallSeconds: provenance.wallSeconds,
      ...recordedHost(),
    },
  };
}
