import { hammingDistance } from './phash.js';

export interface HashedImage {
  split: string;
  id: string;
  hash: bigint;
}

export interface DuplicatePair {
  a: { split: string; id: string };
  b: { split: string; id: string };
  distance: number;
}

/**
 * All pairs from *different* splits whose hashes are within `threshold` bits. Multi-index hashing:
 * the 64 bits are cut into threshold+1 blocks; by pigeonhole two hashes within the threshold agree
 * exactly on at least one block, so only bucket-mates are compared (not all n² pairs).
 */
export function findNearDuplicates(items: readonly HashedImage[], threshold: number): DuplicatePair[] {
  if (!(Number.isInteger(threshold) && threshold >= 0 && threshold < 64)) throw new RangeError(`threshold must be an integer in 0..63, got ${threshold}`);
  const blocks = threshold + 1;
  const bounds = Array.from({ length: blocks + 1 }, (_, i) => Math.round((64 * i) / blocks));
  const seen = new Set<string>();
  const pairs: DuplicatePair[] = [];
  for (let b = 0; b < blocks; b++) {
    const width = BigInt(bounds[b + 1] - bounds[b]);
    const shift = BigInt(bounds[b]);
    const mask = (1n << width) - 1n;
    const buckets = new Map<bigint, number[]>();
    items.forEach((it, i) => {
      const key = (it.hash >> shift) & mask;
      const list = buckets.get(key);
      if (list) list.push(i);
      else buckets.set(key, [i]);
    });
    for (const list of buckets.values()) {
      for (let x = 0; x < list.length; x++) {
        for (let y = x + 1; y < list.length; y++) {
          const i = list[x];
          const j = list[y];
          if (items[i].split === items[j].split) continue;
          const key = `${i},${j}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const d = hammingDistance(items[i].hash, items[j].hash);
          if (d <= threshold) pairs.push({ a: { split: items[i].split, id: items[i].id }, b: { split: items[j].split, id: items[j].id }, distance: d });
        }
      }
    }
  }
  return pairs.sort((p, q) => p.distance - q.distance || p.a.id.localeCompare(q.a.id) || p.b.id.localeCompare(q.b.id));
}
