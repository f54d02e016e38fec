/**
 * Segmentation acceptance runs on the real data in ../shared (see docs/results/segmentation.md).
 *   node --import tsx scripts/segmentation-acceptance.ts drive [epochs] [outDir]
 *   node --import tsx scripts/segmentation-acceptance.ts nifti [epochs] [outDir]
 * Env: SEG_ONLY=unet,linear-4 (subset of decoders), SEG_CE=1 (add cross-entropy to the Dice loss).
 */
import os from 'node:os';
import path from 'node:path';
import { runDriveAcceptance, runNiftiAcceptance } from '../src/protocols/segmentation/acceptance.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const shared = path.resolve(root, '../shared');
const [which = 'drive', epochs, out] = process.argv.slice(2);
const outDir = path.resolve(out ?? path.join(root, '.medprobe', 'seg-acceptance', which));
const t0 = performance.now();
const report = which === 'drive'
  ? await runDriveAcceptance({
      shared,
      outDir,
      epochs: epochs ? Number(epochs) : undefined,
      only: process.env.SEG_ONLY ? process.env.SEG_ONLY.split(',') : undefined,
      ce: process.env.SEG_CE ? Number(process.env.SEG_CE) : undefined,
    })
  : await runNiftiAcceptance({ shared, outDir, epochs: epochs ? Number(epochs) : undefined });
console.log(JSON.stringify(report, null, 2));
console.log(`wall ${((performance.now() - t0) / 1000).toFixed(1)} s on ${os.cpus().length} cores`);
