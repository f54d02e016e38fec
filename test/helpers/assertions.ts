import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MedprobeError } from '../../src/util/errors.js';

/** Run `fn` in a fresh temp directory that is removed afterwards, whatever happens. */
export async function withTempDir(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `medprobe-${prefix}-`));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * An assert.throws/rejects validator for the house error contract: a MedprobeError whose message
 * matches `re` and names every given file, carries a hint and fits on one line.
 */
export function medprobeError(re: RegExp, files: readonly string[] = []): (e: unknown) => true {
  return (e: unknown) => {
    assert.ok(e instanceof MedprobeError, `expected MedprobeError, got ${String(e)}`);
    assert.match(e.message, re);
    for (const f of files) assert.ok(e.message.includes(f), `message names ${f}: ${e.message}`);
    assert.ok(e.hint, 'has a hint');
    assert.ok(!e.oneLine().includes('\n'));
    return true;
  };
}
