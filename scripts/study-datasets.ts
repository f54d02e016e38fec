/**
 * Open every registry dataset found under a folder of study samples (default ../shared/data/study)
 * with its own loader (onError: skip) and print what was read: counts, split sizes and split hash,
 * class names, and per decoded case its shape, dtype, pixel/voxel sum and label counts — the numbers
 * docs/results/study-datasets.md compares against an independent reader (scripts/study-datasets-check.py).
 *
 *   node --import tsx scripts/study-datasets.ts [../shared/data/study]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { registryEntry } from '../src/data/registry/index.js';
import { splitContentHash } from '../src/data/splits/file.js';
import type { NiftiSegPair } from '../src/data/segmentation/nifti-pair.js';
import type { SegCase2D } from '../src/data/segmentation/types.js';
import { SPLIT_NAMES } from '../src/data/types.js';
import { CT_WINDOW, MRI_PERCENTILES, volumeTo255 } from '../src/protocols/segmentation/volume-slices.js';

const SAMPLES: Array<[string, string]> = [
  ['nih-chestxray14', 'nih-chestxray14'],
  ['brain-tumor', 'brain-tumor'],
  ['sars-cov-2-ct', 'sars-cov-2-ct'],
  ['msd-hippocampus', 'msd-hippocampus/Task04_Hippocampus'],
  ['msd-spleen', 'msd-spleen/Task09_Spleen'],
  ['msd-heart', 'msd-heart/Task02_Heart'],
  ['amos', 'amos'],
  ['montgomery', 'montgomery/MontgomerySet'],
  ['chexpert', 'chexpert/CheXpert-v1.0-small'],
];

const sum = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};
const counts = (a: ArrayLike<number>, k: number): number[] => {
  const c = new Array(k).fill(0);
  for (let i = 0; i < a.length; i++) c[a[i]]++;
  return c;
};
const dtype = (a: unknown): string => (a as object).constructor.name.replace('Array', '').toLowerCase();

const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '../../shared/data/study'));
for (const [name, rel] of SAMPLES) {
  const dir = path.join(root, rel);
  if (!existsSync(dir)) {
    console.log(`## ${name}: no sample under ${rel} (not redistributable or not provided)\n`);
    continue;
  }
  const entry = registryEntry(name);
  console.log(`## ${name} (${rel})`);
  if (entry.loader) {
    const l = await entry.loader(dir, { onError: 'skip' });
    const t = l.dataset.task;
    console.log(`rows ${l.report.rows} · used ${l.report.used} · skipped ${l.report.skipped.length}${l.report.skipped[0] ? ` (first: ${l.report.skipped[0].file})` : ''}`);
    console.log(`classes: ${'labels' in t ? t.labels.join(', ') : ''}`);
    console.log(`splits: ${SPLIT_NAMES.filter((s) => l.dataset.splits[s]).map((s) => `${s} ${l.dataset.splits[s]!.size}`).join(' · ')} · split sha256 ${splitContentHash(name, l.split.assignment)}`);
    for (const s of SPLIT_NAMES) {
      const split = l.dataset.splits[s];
      for (let i = 0; split && i < split.size; i++) {
        const x = await split.get(i);
        const im = x.image;
        const shape = im.kind === '2d' ? `${im.width}x${im.height}x${im.channels}` : `${im.width}x${im.height}x${im.depth}`;
        console.log(`  ${s} ${x.id}: ${shape} ${dtype(im.data)} sum ${sum(im.data)} label [${Array.from(x.label).join(',')}]${x.patientId ? ` patient ${x.patientId}` : ''}`);
      }
    }
  } else if (entry.segLoader) {
    const l = await entry.segLoader(dir, { onError: 'skip' });
    console.log(`rows ${l.report.rows} · used ${l.report.used} · skipped ${l.report.skipped.length}${l.report.skipped[0] ? ` (first: ${l.report.skipped[0].file})` : ''}`);
    console.log(`classes: ${l.classes.join(', ')} (values ${l.values.join(', ')}) · intensity ${l.intensity ?? '8-bit image'}`);
    console.log(`splits: ${SPLIT_NAMES.filter((s) => l.splits[s].length).map((s) => `${s} ${l.splits[s].length}`).join(' · ')} · split sha256 ${splitContentHash(name, l.split.assignment)}`);
    for (const s of SPLIT_NAMES) {
      for (const c of l.splits[s]) {
        const x = await c.load();
        if ('labelMap' in x) {
          const p = x as NiftiSegPair;
          const scaled = volumeTo255(p.image, l.intensity === 'ct' ? CT_WINDOW : MRI_PERCENTILES);
          console.log(`  ${s} ${c.id}: ${p.image.width}x${p.image.height}x${p.image.depth} ${p.image.header.datatype} (stored ${p.image.sourceOrientation}) voxel sum ${sum(p.image.data)} · labels ${counts(p.labels, l.classes.length).join('/')} · ${l.intensity} rule → [0,255] sum ${sum(scaled).toFixed(3)}`);
        } else {
          const q = x as SegCase2D;
          console.log(`  ${s} ${c.id}: ${q.image.width}x${q.image.height}x${q.image.channels} ${dtype(q.image.data)} sum ${sum(q.image.data)} · mask ${counts(q.mask, l.classes.length).join('/')}`);
        }
      }
    }
  }
  console.log('');
}
