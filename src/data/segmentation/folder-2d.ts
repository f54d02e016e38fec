import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MedprobeError } from '../../util/errors.js';
import type { Image2D } from '../types.js';
import { loadSegCard, valueLookup, type SegCard } from './card.js';
import { readImage8 } from './decode.js';
import type { SegCase2D, SegDataset2D } from './types.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.gif']);

/** Class indices from a decoded mask file, checking size and that every value is in the card. */
export function maskToClasses(mask: Image2D, lut: Int16Array, card: Pick<SegCard, 'classes'>, files: { mask: string; image: string }, image: Pick<Image2D, 'width' | 'height'>): Uint8Array {
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new MedprobeError(`mask ${files.mask} is ${mask.width}×${mask.height} but image ${files.image} is ${image.width}×${image.height}`, {
      file: files.mask,
      hint: 'masks must be pixel-aligned with their images; re-export the mask at the image size',
    });
  }
  const n = mask.width * mask.height;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = mask.data[i * mask.channels];
    const k = lut[v];
    if (k < 0) {
      throw new MedprobeError(`mask ${files.mask} has pixel value ${v}, which is not in the dataset card (values ${card.classes.map((c) => c.value).join(', ')})`, {
        file: files.mask,
        hint: 'add the class to the card, or fix the mask (e.g. anti-aliased edges from resizing a label image)',
      });
    }
    out[i] = k;
  }
  return out;
}

/** FOV masks: any non-zero pixel is inside. */
export function fovFromImage(fov: Image2D, files: { fov: string; image: string }, image: Pick<Image2D, 'width' | 'height'>): Uint8Array {
  if (fov.width !== image.width || fov.height !== image.height) {
    throw new MedprobeError(`FOV mask ${files.fov} is ${fov.width}×${fov.height} but image ${files.image} is ${image.width}×${image.height}`, {
      file: files.fov,
      hint: 'FOV masks must be pixel-aligned with their images',
    });
  }
  const out = new Uint8Array(fov.width * fov.height);
  for (let i = 0; i < out.length; i++) out[i] = fov.data[i * fov.channels] > 0 ? 1 : 0;
  return out;
}

async function listImages(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    throw new MedprobeError(`folder not found: ${dir}`, { file: dir, hint: 'a 2D segmentation folder holds images/ and masks/ (and optionally fov/) with matching file names' });
  }
  return names.filter((n) => IMAGE_EXT.has(path.extname(n).toLowerCase())).sort();
}

const stem = (f: string): string => path.basename(f, path.extname(f));

/**
 * A folder `root/{images,masks[,fov]}/` whose files pair up by name stem (`a.png` ↔ `a.png`
 * or `a.gif`), with `root/card.yaml` (or an explicit card) naming the classes.
 * Loaded eagerly: 2D segmentation sets are tens to a few thousand images.
 */
export async function loadSegFolder2D(root: string, opts: { card?: SegCard } = {}): Promise<SegDataset2D> {
  const card = opts.card ?? (await loadSegCard(path.join(root, 'card.yaml')));
  const lut = valueLookup(card);
  const images = await listImages(path.join(root, 'images'));
  const masks = new Map((await listImages(path.join(root, 'masks'))).map((f) => [stem(f), f]));
  let fovs: Map<string, string> | null = null;
  try {
    fovs = new Map((await fs.readdir(path.join(root, 'fov'))).map((f) => [stem(f), f]));
  } catch {
    fovs = null;
  }
  if (images.length === 0) throw new MedprobeError(`no images in ${path.join(root, 'images')}`, { file: root, hint: 'supported: .png .jpg .tif .gif' });
  const cases: SegCase2D[] = [];
  for (const f of images) {
    const id = stem(f);
    const m = masks.get(id);
    if (!m) throw new MedprobeError(`image ${path.join(root, 'images', f)} has no mask in ${path.join(root, 'masks')}`, { file: path.join(root, 'images', f), hint: 'name each mask like its image (same stem)' });
    const fov = fovs?.get(id);
    cases.push(
      await loadCase2D(id, { image: path.join(root, 'images', f), mask: path.join(root, 'masks', m), fov: fov ? path.join(root, 'fov', fov) : undefined }, card, lut),
    );
  }
  return { name: card.name, classes: card.classes.map((c) => c.name), cases };
}

export async function loadCase2D(id: string, files: { image: string; mask: string; fov?: string }, card: SegCard, lut = valueLookup(card)): Promise<SegCase2D> {
  const image = await readImage8(files.image);
  const mask = maskToClasses(await readImage8(files.mask), lut, card, files, image);
  const fov = files.fov ? fovFromImage(await readImage8(files.fov), { fov: files.fov, image: files.image }, image) : undefined;
  return { id, image, mask, fov, files };
}
