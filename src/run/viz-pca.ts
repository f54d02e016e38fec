import { promises as fs } from 'node:fs';
import path from 'node:path';
import { openMedMNIST } from '../data/medmnist/source.js';
import { isGridBackbone } from '../models/backbone.js';
import { openBackbone, type BackboneRef } from '../models/open.js';
import { createPreparer } from '../features/prepare.js';
import { pcaPatchMaps, writePcaPng } from '../report/pca.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { MedprobeError } from '../util/errors.js';
import { preparerFor } from './preprocessing.js';

export interface VizPcaOptions {
  model: BackboneRef;
  /** A MedMNIST npz; the first `count` images of `split` are mapped. */
  data: string;
  split?: 'train' | 'val' | 'test';
  count?: number;
  /** Graph output or block (`block:-1`) whose spatial map is decomposed; default: the ViT tokens or `feature_map`. */
  map?: string;
  inputSize?: number;
  threshold?: number | null;
  outDir: string;
}

/** The manifest `medprobe report --pca <dir>` reads to put the maps on the model's page. */
export interface PcaManifest {
  model: string;
  map: string;
  images: { file: string; caption: string }[];
  eigenvalues: { all: number[]; foreground: number[] };
  foregroundFraction: number;
}

/**
 * DINOv2-style PCA maps: patch tokens (or CNN map cells) of a few images, first three principal
 * components as RGB after removing the background on the first component; one PNG per image.
 */
export async function vizPca(o: VizPcaOptions): Promise<PcaManifest> {
  const backbone = await openBackbone(o.model, { inputSize: o.inputSize });
  try {
    if (!isGridBackbone(backbone)) throw new MedprobeError(`model ${backbone.card.name} cannot return spatial maps`, { hint: 'PCA maps need an ONNX or TF.js backbone with a patch-token or feature-map output' });
    const map = o.map ?? (backbone.card.vit ? 'block:-1' : 'feature_map');
    const ds = await openMedMNIST(o.data);
    const split = ds.splits[o.split ?? 'test']!;
    const count = Math.min(o.count ?? 4, split.size);
    const images = await Promise.all(Array.from({ length: count }, (_, i) => split.get(i).then((s) => s.image)));
    const prepared = createPreparer(preparerFor(backbone, ds).spec)(images);
    const grids = (await backbone.runGrid(prepared.data, prepared.counts.reduce((a, b) => a + b, 0), [map]))[map];
    const [n, dim, h, w] = grids.dims;
    // runGrid gives NCHW; PCA wants each patch's D values together (HWC).
    const perImage = Array.from({ length: n }, (_, i) => {
      const out = new Float32Array(h * w * dim);
      const src = grids.data.subarray(i * dim * h * w, (i + 1) * dim * h * w);
      for (let c = 0; c < dim; c++) for (let p = 0; p < h * w; p++) out[p * dim + c] = src[c * h * w + p];
      return { data: out, dim, h, w };
    });
    const maps = await pcaPatchMaps(perImage, { threshold: o.threshold });
    await fs.mkdir(o.outDir, { recursive: true });
    const files: PcaManifest['images'] = [];
    for (let i = 0; i < maps.images.length; i++) {
      const file = path.join(o.outDir, `pca-${i + 1}.png`);
      await writePcaPng(maps.images[i], file);
      files.push({ file, caption: `${ds.name} ${o.split ?? 'test'} #${i} (${split.ids[i]}), ${map} ${h}×${w}` });
    }
    const manifest: PcaManifest = { model: backbone.card.name, map, images: files, eigenvalues: maps.eigenvalues, foregroundFraction: maps.foregroundFraction };
    await writeJsonAtomic(path.join(o.outDir, 'pca.json'), manifest);
    return manifest;
  } finally {
    await backbone.dispose();
  }
}

export async function readPcaManifest(dir: string): Promise<PcaManifest> {
  const file = path.join(dir, 'pca.json');
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as PcaManifest;
  } catch {
    throw new MedprobeError(`no PCA manifest at ${file}`, { file, hint: 'write one with `medprobe viz pca --out <dir>`' });
  }
}
