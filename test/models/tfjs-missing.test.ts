import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// TF.js is an optional peer of medprobe. Simulate an install without it: a resolve hook, registered
// after tsx's (so it runs first), refuses every @tensorflow/* specifier the way Node does for a
// package that is not in node_modules.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const hook = `export async function resolve(spec, ctx, next) {
  if (spec.startsWith('@tensorflow/')) {
    const e = new Error("Cannot find package '" + spec + "' imported from " + ctx.parentURL);
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  }
  return next(spec, ctx);
}`;
const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hook))});`;

function runWithoutTfjs(script: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', '--import', 'data:text/javascript,' + encodeURIComponent(register), '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
}

test('without TF.js installed: the library and ONNX paths load, a TF.js card gets one line naming the package', () => {
  const r = runWithoutTfjs(`
    const lib = await import('./src/index.ts');
    console.log('index ok', typeof lib.openBackbone);
    // The hook really bites: importing TF.js itself fails.
    await import('@tensorflow/tfjs').then(() => console.log('tfjs loaded'), (e) => console.log('tfjs refused', e.code));
    const { loadTfjs } = await import('./src/models/open.ts');
    try { await loadTfjs('models/teachable.json'); console.log('no error'); }
    catch (e) { console.log('error', e.name, JSON.stringify(e.oneLine())); }
  `);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 2), ['index ok function', 'tfjs refused ERR_MODULE_NOT_FOUND']);
  const msg = JSON.parse(lines[2].replace(/^error MedprobeError /, '')) as string;
  assert.match(lines[2], /^error MedprobeError /);
  assert.match(msg, /^models\/teachable\.json is a TF\.js model, and TF\.js \(@tensorflow\/tfjs\) is not installed/);
  assert.match(msg, /npm install @tensorflow\/tfjs@\^4\.22\.0 @tensorflow\/tfjs-backend-wasm@\^4\.22\.0$/);
  assert.ok(!msg.includes('\n'));
});
