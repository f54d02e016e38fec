/**
 * The bad-input corpus (bad-inputs.ts, also `npm run fixtures:bad-inputs`) through the CLI
 * in-process, one test per case: exit 1, one `medprobe: error:` line naming the file, no stack
 * trace, nothing written outside the case's out/ folder, no result and nothing half-written there.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeBadInputs, type BadInputCase } from './bad-inputs.js';
import { judgeCase } from './judge.js';

/** Cases medprobe does not yet meet, and why; each still runs and is reported as a todo. None today. */
const KNOWN_GAPS: Record<string, string> = {};

let root: string;
let cases: BadInputCase[];
const quiet = process.env.MEDPROBE_QUIET;

before(async () => {
  process.env.MEDPROBE_QUIET = '1';
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-bad-inputs-'));
  cases = await writeBadInputs(root);
});
after(async () => {
  if (quiet === undefined) delete process.env.MEDPROBE_QUIET;
  else process.env.MEDPROBE_QUIET = quiet;
  await fs.rm(root, { recursive: true, force: true });
});

test('the corpus has at least 80 cases across every input kind', () => {
  assert.ok(cases.length >= 80, `${cases.length} cases`);
  const kinds = new Set(cases.map((c) => c.name.split('/')[0]));
  for (const k of ['npz', 'nifti', 'dicom', 'folder', 'mat', 'suite', 'card', 'result']) assert.ok(kinds.has(k), k);
});

test('every bad input gets one clear line and exit 1, and nothing is written where it should not be', async (t) => {
  for (const c of cases) {
    await t.test(c.name, { todo: KNOWN_GAPS[c.name] }, async () => {
      const v = await judgeCase(root, c);
      assert.deepEqual(v.problems, [], `${c.what}: ${v.line}`);
    });
  }
});
