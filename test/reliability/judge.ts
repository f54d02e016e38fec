/**
 * Runs one bad-input case through the CLI in-process and judges what happened against the
 * quality bar: exit 1, exactly one `medprobe: error:` line naming the file, no stack trace,
 * nothing written outside the case's `out/` folder, and no result or half-written entry there.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { runCliCaptured } from '../helpers/run-cli.js';
import { caseDir, type BadInputCase } from './bad-inputs.js';

export type Outcome = 'clean error' | 'crash' | 'silent' | 'unclear';

export interface Verdict {
  name: string;
  outcome: Outcome;
  code: number;
  /** The last stderr line: the error, when there is one. */
  line: string;
  /** Every way the run fell short of the bar; empty for a clean error. */
  problems: string[];
}

/** Every entry under `dir` except `out/`, as relative path → type, size and mtime (lstat: links are not followed). */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rel of (await fs.readdir(dir, { recursive: true })).map(String).sort()) {
    if (rel === 'out' || rel.startsWith(`out${path.sep}`)) continue;
    const s = await fs.lstat(path.join(dir, rel));
    out.set(rel, `${s.isSymbolicLink() ? 'link' : s.isDirectory() ? 'dir' : 'file'}:${s.isDirectory() ? 0 : s.size}:${s.mtimeMs}`);
  }
  return out;
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { recursive: true })).map(String).sort();
  } catch {
    return [];
  }
}

/** Result files (`results/<model>/<dataset>/<protocol>.json`) among paths relative to `out/`. */
const results = (files: string[]) => files.filter((f) => /^results\/(?!_datasets\/)[^/]+\/[^/]+\/[^/]+\.json$/.test(f.split(path.sep).join('/')));

export async function judgeCase(root: string, c: BadInputCase): Promise<Verdict> {
  const dir = caseDir(root, c.name);
  const before = await snapshot(dir);
  const out = path.join(dir, 'out');
  const resultsBefore = new Set(results(await listFiles(out)));
  const r = await runCliCaptured(c.argv, { cwd: dir });
  const after = await snapshot(dir);
  const stderr = r.stderr.trim();
  // Progress lines (`extracted …`, `cached …`) may come first; the error itself is one line, the last.
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const errorLines = lines.filter((l) => /error|exception|warn/i.test(l));
  const last = lines.at(-1) ?? '';
  const problems: string[] = [];

  if (r.code === 0) problems.push('exit 0: the bad input was accepted');
  else if (r.code !== 1) problems.push(`exit ${r.code}, expected 1`);
  if (errorLines.length !== 1) problems.push(`${errorLines.length} error lines, expected 1`);
  if (!last.startsWith('medprobe: error: ')) problems.push('the last line is not a `medprobe: error:` line');
  else if (!last.includes(c.names)) problems.push(`the error does not name ${c.names}`);
  if (/^\s+at .+:\d+:\d+\)?$/m.test(r.stderr + r.stdout)) problems.push('a stack trace was printed');

  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
  if (changed.length > 0) problems.push(`wrote outside out/: ${changed.slice(0, 3).join(', ')}`);

  const written = await listFiles(out);
  const half = written.filter((f) => /(^|\/)\.tmp-|\.partial$|\.lock$/.test(f));
  if (half.length > 0) problems.push(`half-written or left-over entries: ${half.slice(0, 3).join(', ')}`);
  const fresh = results(written).filter((f) => !resultsBefore.has(f));
  if (fresh.length > 0) problems.push(`result written: ${fresh[0]}`);

  const outcome: Outcome = r.code === 0 ? 'silent' : r.code !== 1 ? 'crash' : problems.length === 0 ? 'clean error' : 'unclear';
  return { name: c.name, outcome, code: r.code, line: last, problems };
}
