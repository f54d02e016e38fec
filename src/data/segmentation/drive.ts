import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MedprobeError } from '../../util/errors.js';
import type { SegCard } from './card.js';
import { loadCase2D } from './folder-2d.js';
import type { SegDataset2D } from './types.js';

/** DRIVE's manual annotations: 0 background, 255 vessel. */
export const DRIVE_CARD: SegCard = {
  name: 'drive',
  classes: [
    { name: 'background', value: 0 },
    { name: 'vessel', value: 255 },
  ],
};

/**
 * DRIVE as distributed: `<root>/<split>/images/NN_<split>.tif`, `1st_manual/NN_manual1.gif`,
 * `mask/NN_<split>_mask.gif` (the field of view; scoring happens inside it).
 */
export async function loadDrive(root: string, split: 'training' | 'test'): Promise<SegDataset2D> {
  const dir = path.join(root, split);
  let names: string[];
  try {
    names = (await fs.readdir(path.join(dir, 'images'))).filter((n) => /\.tiff?$/i.test(n)).sort();
  } catch {
    throw new MedprobeError(`DRIVE ${split} images not found under ${dir}`, { file: dir, hint: 'point at the DRIVE root holding training/ and test/' });
  }
  const cases = [];
  for (const name of names) {
    const id = name.split('_')[0];
    cases.push(
      await loadCase2D(
        id,
        {
          image: path.join(dir, 'images', name),
          mask: path.join(dir, '1st_manual', `${id}_manual1.gif`),
          fov: path.join(dir, 'mask', `${id}_${split}_mask.gif`),
        },
        DRIVE_CARD,
      ),
    );
  }
  if (cases.length === 0) throw new MedprobeError(`no DRIVE images in ${path.join(dir, 'images')}`, { file: dir, hint: 'expected NN_training.tif / NN_test.tif' });
  return { name: `drive-${split}`, classes: DRIVE_CARD.classes.map((c) => c.name), cases };
}
