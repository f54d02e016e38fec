import path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { safeSegment } from '../util/paths.js';
import { ResultSchema, type Result } from './schema.js';

/** `<results>/<model>/<dataset>/<protocol>.json` */
export function resultPath(resultsDir: string, model: string, dataset: string, protocol: string): string {
  return path.join(resultsDir, safeSegment(model), safeSegment(dataset), `${safeSegment(protocol)}.json`);
}

/** Validate, then write atomically: a killed run never leaves a half-written result. */
export async function writeResult(resultsDir: string, result: Result): Promise<string> {
  const parsed = ResultSchema.parse(result);
  const file = resultPath(resultsDir, parsed.model.name, parsed.dataset.name, parsed.protocol.name);
  await writeJsonAtomic(file, parsed);
  return file;
}
