// Writes the generated test models (tiny CNN, tiny ViTs, a fake transformers.js hub folder)
// with their cards into a directory: `npm run fixtures -- [dir]` (default test/.fixtures, git-ignored).
// Everything is built in JS from fixed seeds, so the files are identical on every machine.
import path from 'node:path';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../src/models/fixtures/tiny-cnn.js';
import { writeTinyVitCard, writeTinyVitOnnx, type TinyVitOptions } from '../src/models/fixtures/tiny-vit.js';
import { writeFakeHubFolder } from '../src/models/fixtures/hub-folder.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'test', '.fixtures'));

const cnns: [string, Parameters<typeof writeTinyCnnOnnx>[1]][] = [
  ['tiny-cnn', { size: 32 }],
  ['tiny-cnn-nhwc', { size: 32, layout: 'NHWC' }],
];
const vits: [string, TinyVitOptions][] = [
  ['tiny-vit', { patchSize: 14, dim: 32, depth: 6, heads: 2, registers: 0, layerScale: true, dynamicHW: true, seed: 0 }],
  ['tiny-vit-reg4', { patchSize: 14, dim: 32, depth: 6, heads: 2, registers: 4, layerScale: true, dynamicHW: true, seed: 1 }],
  ['tiny-vit-fixed', { patchSize: 14, dim: 32, depth: 6, heads: 2, registers: 0, layerScale: true, dynamicHW: false, seed: 2 }],
];

for (const [name, opts] of cnns) {
  const model = path.join(out, `${name}.onnx`);
  await writeTinyCnnOnnx(model, opts);
  await writeTinyCnnCard(path.join(out, `${name}.json`), model, opts);
  console.log(`wrote ${model} (+ card)`);
}
for (const [name, opts] of vits) {
  const model = path.join(out, `${name}.onnx`);
  await writeTinyVitOnnx(model, opts);
  await writeTinyVitCard(path.join(out, `${name}.json`), model, opts);
  console.log(`wrote ${model} (+ card)`);
}
const hub = path.join(out, 'hub', 'dinov2-tiny');
await writeFakeHubFolder(hub, { seed: 3 });
console.log(`wrote ${hub}/ (config.json, preprocessor_config.json, onnx/model.onnx)`);
