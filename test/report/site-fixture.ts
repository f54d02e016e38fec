// A realistic results folder for the site tests, generated on the fly: 3 models (one named like an
// XSS payload), 3 classification datasets across X-ray/CT/MRI with knn + linear results (one cell
// missing), CIs, a few-shot curve, linear-probe grid candidates, and a small segmentation table with
// an overlay PNG, plus a dataset side file with a leakage summary and catalog cards for two models.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import type { SiteCatalogEntry } from '../../src/report/catalog.js';
import { makeResult } from '../results/make-result.js';

export const XSS_NAME = '<img src=x onerror=alert(1)>';
export const MODELS = ['dinov2-small', 'rad-dino', XSS_NAME];
export const DATASETS = [
  { name: 'chest-xray', modality: 'X-ray', dims: 2 as const },
  { name: 'adrenal-ct', modality: 'CT', dims: 3 as const },
  { name: 'brain-mri', modality: 'MRI', dims: 3 as const },
];

/** AUROC per model per dataset for each protocol; the XSS model has no linear result on brain-mri. */
export const AUROC: Record<string, Record<string, (number | undefined)[]>> = {
  knn: { 'dinov2-small': [0.91, 0.78, 0.7], 'rad-dino': [0.94, 0.74, 0.72], [XSS_NAME]: [0.85, 0.81, 0.65] },
  linear: { 'dinov2-small': [0.93, 0.8, 0.75], 'rad-dino': [0.95, 0.79, 0.71], [XSS_NAME]: [0.88, 0.83, undefined] },
};

export const CATALOG: SiteCatalogEntry[] = [
  {
    name: 'dinov2-small',
    organisation: 'Meta AI',
    releaseDate: '2023-04',
    architecture: 'ViT-S/14',
    params: 22_000_000,
    pretrainingData: 'LVD-142M',
    pretrainingImages: 142_000_000,
    licence: 'Apache-2.0',
    citation: 'Oquab et al. 2023',
    openness: { class: 'open', score: 4, rule: 'weights+code+licence open, data closed' },
  },
  {
    name: XSS_NAME,
    organisation: '<b>evil</b>',
    architecture: 'ViT-B/16',
    params: 86_000_000,
    pretrainingImages: 1_000_000,
    licence: 'CC-BY-NC',
    openness: { class: 'restricted', score: 1, rule: '"><script>alert(2)</script>' },
  },
];

function png(width: number, height: number): Buffer {
  const img = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    img.data[i * 4] = (i * 7) % 256;
    img.data[i * 4 + 1] = 80;
    img.data[i * 4 + 2] = 160;
    img.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(img);
}

async function put(dir: string, rel: string, value: unknown): Promise<void> {
  const f = path.join(dir, rel);
  await fs.mkdir(path.dirname(f), { recursive: true });
  await fs.writeFile(f, Buffer.isBuffer(value) ? value : JSON.stringify(value, null, 2));
}

const safe = (s: string): string => s.replace(/[^\w.-]+/g, '_');

export async function writeSiteFixture(dir: string): Promise<void> {
  for (const [protocol, byModel] of Object.entries(AUROC))
    for (const [model, values] of Object.entries(byModel))
      for (let d = 0; d < DATASETS.length; d++) {
        const v = values[d];
        if (v === undefined) continue;
        const ds = DATASETS[d];
        const candidates =
          protocol === 'linear'
            ? ['last1 cls', 'last4 cls+mean'].flatMap((head, h) =>
                [1e-4, 1e-3, 1e-2].map((lr, i) => ({ params: { head, lr }, score: +(v - 0.04 + 0.01 * i + 0.01 * h).toFixed(4) })),
              )
            : [5, 10, 20].map((k, i) => ({ params: { k }, score: +(v - 0.01 * i).toFixed(4) }));
        const fewShot =
          protocol === 'linear' && ds.name === 'chest-xray'
            ? { metric: 'auroc', points: [1, 2, 4, 8, 16].map((shots, i) => ({ shots, mean: +(0.6 + 0.06 * i).toFixed(3), sd: +(0.08 - 0.012 * i).toFixed(3), runs: 5 })) }
            : undefined;
        await put(
          dir,
          `${safe(model)}/${ds.name}/${protocol}.json`,
          makeResult({
            model,
            dataset: ds.name,
            protocol,
            metrics: { auroc: v, accuracy: +(v - 0.07).toFixed(3) },
            ci: { auroc: { low: +(v - 0.03).toFixed(3), high: +Math.min(1, v + 0.025).toFixed(3) } },
            modality: ds.modality,
            dims: ds.dims,
            candidates,
            preprocessing: ds.modality === 'CT' ? { window: [-1024, 600], resize: 224 } : { percentile: [5, 95], resize: 224 },
            ...(fewShot ? { extra: { fewShot } } : {}),
          }),
        );
      }
  // Segmentation on the MRI dataset for two models (Dice), one with an overlay image.
  await put(dir, 'rad-dino/brain-seg/seg-unet.json', makeResult({ model: 'rad-dino', dataset: 'brain-seg', protocol: 'seg-unet', metrics: { dice: 0.61, iou: 0.44, diceJaccard: 0.525 }, modality: 'MRI', extra: { overlays: ['overlay-1.png'] } }));
  await put(dir, 'rad-dino/brain-seg/overlay-1.png', png(16, 16));
  await put(dir, `${safe(XSS_NAME)}/brain-seg/seg-unet.json`, makeResult({ model: XSS_NAME, dataset: 'brain-seg', protocol: 'seg-unet', metrics: { dice: 0.55, iou: 0.38, diceJaccard: 0.465 }, modality: 'MRI' }));
  await put(dir, '_datasets/chest-xray.json', {
    name: 'chest-xray',
    licence: 'CC BY 4.0',
    leakage: { method: 'perceptual hash (sharp-phash), Hamming ≤ 4', threshold: 4, checked: 54, crossSplitDuplicates: 1, pairs: { 'train-test': 1 } },
  });
}
