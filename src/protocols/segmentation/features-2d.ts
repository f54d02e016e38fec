import type { SegDataset2D } from '../../data/segmentation/types.js';
import type { GridBackbone } from '../../models/backbone.js';
import type { GridShape } from '../../engine/seg/decoder-spec.js';
import { MedprobeError } from '../../util/errors.js';
import { createProgress } from '../../util/progress.js';
import { cropPlane, tileInput, tileInside, tileOrigins, type TileOrigin } from './tiling.js';
import { IGNORE_LABEL, type SegFeatureSet } from './train.js';

/** Feature grids of every tile of a 2D dataset, with the tile's labels and validity. */
export interface TiledFeatureSet extends SegFeatureSet {
  tile: number;
  /** Which case and where, per tile (row order of the grids). */
  tiles: { caseIndex: number; origin: TileOrigin }[];
  /** Graph outputs / block refs the grids came from, deepest first. */
  maps: string[];
}

/**
 * Runs the frozen backbone once over all tiles and keeps the requested maps (deepest first).
 * Validity: inside the image, inside the FOV when the case has one, not an ignore label.
 */
export async function extractTiledFeatures(ds: SegDataset2D, backbone: GridBackbone, maps: string[], opts: { batchSize?: number } = {}): Promise<TiledFeatureSet> {
  const tile = backbone.inputSize;
  const batchSize = opts.batchSize ?? 16;
  const input = backbone.card.input;
  const norm = { rescale: input.rescale, mean: input.mean, std: input.std };
  const tiles = ds.cases.flatMap((c, caseIndex) => tileOrigins(c.image.width, c.image.height, tile).map((origin) => ({ caseIndex, origin })));
  const n = tiles.length;
  if (n === 0) throw new MedprobeError(`dataset ${ds.name} has no images`, { hint: 'check the dataset folder' });
  const plane = tile * tile;
  const labels = new Uint8Array(n * plane);
  const valid = new Uint8Array(n * plane);
  let grids: Float32Array[] = [];
  let shapes: GridShape[] = [];
  const progress = createProgress(`features ${ds.name}`, n, 'tile');
  const batch = new Float32Array(batchSize * 3 * plane);
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    for (let b = 0; b < m; b++) {
      const { caseIndex, origin } = tiles[s + b];
      const c = ds.cases[caseIndex];
      tileInput(c.image, origin, tile, norm, batch, b * 3 * plane);
      const lab = cropPlane(c.mask, c.image.width, c.image.height, 1, origin, tile, (k) => new Uint8Array(k));
      const inside = tileInside(c.image.width, c.image.height, origin, tile);
      const fov = c.fov ? cropPlane(c.fov, c.image.width, c.image.height, 1, origin, tile, (k) => new Uint8Array(k)) : null;
      for (let p = 0; p < plane; p++) valid[(s + b) * plane + p] = inside[p] && (!fov || fov[p]) && lab[p] !== IGNORE_LABEL ? 1 : 0;
      labels.set(lab, (s + b) * plane);
    }
    const out = await backbone.runGrid(m === batchSize ? batch : batch.slice(0, m * 3 * plane), m, maps);
    if (s === 0) {
      shapes = maps.map((k) => ({ channels: out[k].dims[1], height: out[k].dims[2], width: out[k].dims[3] }));
      grids = shapes.map((sh) => new Float32Array(n * sh.channels * sh.height * sh.width));
    }
    maps.forEach((k, l) => grids[l].set(out[k].data, s * shapes[l].channels * shapes[l].height * shapes[l].width));
    progress.tick(m);
  }
  progress.stop();
  return { n, grids, shapes, labels, valid, height: tile, width: tile, tile, tiles, maps };
}
