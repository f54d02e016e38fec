import os from 'node:os';
import path from 'node:path';

/** Downloads and the feature cache: $MEDPROBE_CACHE, else ~/.cache/medprobe. */
export function defaultCacheDir(): string {
  return process.env.MEDPROBE_CACHE ? path.resolve(process.env.MEDPROBE_CACHE) : path.join(os.homedir(), '.cache', 'medprobe');
}

/** A name made safe for a single path segment (model and dataset names become folders). */
export function safeSegment(name: string): string {
  return name.replace(/[^A-Za-z0-9._@+-]+/g, '_').replace(/^\.+/, '_') || '_';
}
