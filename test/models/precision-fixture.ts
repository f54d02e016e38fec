import assert from 'node:assert/strict';
import { openBackbone } from '../../src/models/open.js';
import { computeKeyParts, isGridBackbone } from '../../src/models/backbone.js';
import type { Precision } from '../../src/models/onnx/device.js';

export interface PrecisionRun {
  f: Record<string, Float32Array>;
  grid: Float32Array;
  keys: object;
  compute: unknown;
}

/** Open the card at each precision and collect its features, a block grid (block:-2), cache-key parts and compute. */
export async function runAtPrecisions<P extends Precision>(card: string, cacheDir: string, x: Float32Array, n: number, features: string[], precisions: readonly P[]): Promise<Record<P, PrecisionRun>> {
  const got = {} as Record<P, PrecisionRun>;
  for (const precision of precisions) {
    const b = await openBackbone({ card }, { cacheDir, threads: 1, precision });
    try {
      assert.ok(isGridBackbone(b));
      const f = await b.run(x, n, features);
      const grid = (await b.runGrid(x, n, ['block:-2']))['block:-2'].data;
      got[precision] = { f: Object.fromEntries(features.map((k) => [k, f[k].data])), grid, keys: computeKeyParts(b), compute: b.compute };
    } finally {
      await b.dispose();
    }
  }
  return got;
}
