#!/usr/bin/env node
// Runs the whole test suite with node's own test runner: builds dist/ first (CLI tests
// spawn bin/medprobe.js), then every test/**/*.test.ts through tsx.
// Extra arguments filter test files by substring: `npm test -- knn metrics`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const filters = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

// A failed build still fails the run, but the tests run anyway (they load src/ through tsx),
// so one broken file does not hide every other result.
const build = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) console.error('\nnpm test: the TypeScript build failed (errors above); running the tests anyway, the run will fail.\n');

const files = walk(path.join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { cwd: root, stdio: 'inherit' });
process.exit(build.status !== 0 ? 1 : (r.status ?? 1));
