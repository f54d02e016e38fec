import path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { safeSegment } from '../util/paths.js';
import { MedprobeError } from '../util/errors.js';
import { ResultSchema, type Result } from './schema.js';

/** `<results>/<model>/<dataset>/<protocol>.json` */
export function resultPath(resultsDir: string, model: string, dataset: string, protocol: string): string {
  return path.join(resultsDir, safeSegment(model), safeSegment(dataset), `${safeSegment(protocol)}.json`);
}

/** Validate, then write atomically: a killed run never leaves a half-written result. */
export async function writeResult(resultsDir: string, result: Result): Promise<string> {
  const file = resultPath(resultsDir, result.model.name, result.dataset.name, result.protocol.name);
  const r = ResultSchema.safeParse(result);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new MedprobeError(`refusing to write result ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      file,
      hint: `the ${result.protocol.name} run of ${result.model.name} on ${result.dataset.name} produced a number that cannot be right; nothing was written — please report it`,
    });
  }
  const parsed = r.data;
  await writeJsonAtomic(file, parsed);
  return file;
}
