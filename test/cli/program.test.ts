/**
 * The CLI entry in-process: runCli returns exit codes instead of exiting, old flag spellings
 * still work with one deprecation line, and the modules `--help`/`--version` load never reach
 * a heavy runtime (checked on the static import graph, so it does not depend on timing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/**
 * Run the CLI in-process on each argv, in one child process (patching stdout here would swallow
 * the test runner's own report lines): the child calls runCli, captures what it writes and
 * prints it all as JSON.
 */
function cliRuns(runs: string[][]): { code: number; stdout: string; stderr: string }[] {
  const child = `
    const { runCli } = await import(${JSON.stringify(path.join(repo, 'src/cli/program.ts'))});
    const real = { out: process.stdout.write.bind(process.stdout) };
    const results = [];
    for (const argv of ${JSON.stringify(runs)}) {
      const out = [], err = [];
      process.stdout.write = (s) => (out.push(String(s)), true);
      process.stderr.write = (s) => (err.push(String(s)), true);
      const code = await runCli(argv);
      process.exitCode = undefined;
      results.push({ code, stdout: out.join(''), stderr: err.join('') });
    }
    process.stdout.write = real.out;
    process.stdout.write(JSON.stringify(results));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { cwd: repo, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const HELP_OUT = [['run'], ['quickstart'], ['report'], ['data', 'check'], ['segment', 'drive'], ['segment', 'nifti']];
const [version, help, unknown, bench, deprecated, both, badValue, ...helpOut] = cliRuns([
  ['--version'],
  ['--help'],
  ['run', 'x.yaml', '--no-such-flag'],
  ['models', 'bench', '--help'],
  ['quickstart', '--results', 'somewhere', '--model', 'mobilenetv2-035-imagenet', '--data-dir', path.join(repo, 'no-such-folder')],
  ['models', 'bench', 'x.yaml', '--batch', '2', '--batch-size', '3'],
  ['models', 'bench', 'x.yaml', '--threads', '0'],
  ...HELP_OUT.map((c) => [...c, '--help']),
]);

test('--version and --help return 0 without exiting the process', () => {
  assert.equal(version.code, 0);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version);
  assert.equal(help.code, 0);
  for (const c of ['quickstart', 'run', 'leaderboard', 'report', 'data', 'models', 'segment', 'worker']) assert.match(help.stdout, new RegExp(`\\n  ${c}\\b`));
});

test('an unknown option is a commander error with a non-zero code', () => {
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown option '--no-such-flag'/);
});

test('every command that writes results takes --out; old spellings are hidden from help', () => {
  for (const [i, h] of helpOut.entries()) {
    assert.equal(h.code, 0);
    assert.match(h.stdout, /--out <dir>/, HELP_OUT[i].join(' '));
    assert.doesNotMatch(h.stdout, /--results/, HELP_OUT[i].join(' '));
  }
  assert.match(bench.stdout, /--batch-size <n>/);
  assert.match(bench.stdout, /--threads <n>/);
  assert.doesNotMatch(bench.stdout, /--batch </);
});

test('an old spelling works with one deprecation line; old and new together is an error', () => {
  assert.equal(deprecated.code, 1);
  const lines = deprecated.stderr.trim().split('\n');
  assert.equal(lines.length, 2, deprecated.stderr);
  assert.equal(lines[0], 'medprobe: --results is deprecated, use --out (it still works for now)');
  assert.match(lines[1], /^medprobe: error: --data-dir: .*no-such-folder.* not found/);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /^medprobe: error: --batch and --batch-size both given/);
});

test('a bad flag value is one error line naming the flag', () => {
  assert.equal(badValue.code, 1);
  assert.match(badValue.stderr, /^medprobe: error: --threads 0 is not a positive integer/);
});

// Packages that take seconds to load; none may be reached by a static import from the CLI entry.
const HEAVY = ['onnxruntime-node', '@tensorflow/', 'jsdom', '@observablehq/plot', 'bullmq', 'ioredis', 'sharp', 'playwright-core', 'h5wasm', 'yaml', 'zod'];

function staticImports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const specs: string[] = [];
  // `import x from`, `import {…} from`, `import '…'`, `export … from`; not `import type` and not `await import()`.
  const re = /^\s*(?:import(?!\s+type\b)(?:[\s\S]*?from\s*)?|export(?!\s+type\b)[^;]*?from\s*)['"]([^'"]+)['"]/gm;
  for (const m of src.matchAll(re)) specs.push(m[1]);
  return specs;
}

test('the CLI entry statically imports no heavy runtime (each command loads its own in its action)', () => {
  const seen = new Set<string>();
  const reached: string[] = [];
  const walk = (file: string, via: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) {
        const ts = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
        if (existsSync(ts)) walk(ts, [...via, path.relative(repo, ts)]);
      } else if (HEAVY.some((h) => spec === h || spec.startsWith(h.endsWith('/') ? h : `${h}/`))) {
        reached.push(`${spec} via ${via.join(' → ')}`);
      }
    }
  };
  walk(path.join(repo, 'src/cli/main.ts'), ['src/cli/main.ts']);
  assert.ok(seen.size >= 10, `walked ${seen.size} files`);
  assert.deepEqual(reached, []);
});
