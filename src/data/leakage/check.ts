import type { DatasetSource, SplitName } from '../types.js';
import { SPLIT_NAMES } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import { createProgress } from '../../util/progress.js';
import { findPatientOverlap, type PatientOverlap } from '../splits/overlap.js';
import { perceptualHash } from './phash.js';
import { findNearDuplicates, type DuplicatePair, type HashedImage } from './near-duplicates.js';

/**
 * Default Hamming threshold (of 64 pHash bits) for "near duplicate", set from measurements:
 * - test fixtures: JPEG re-encodes (q50–95) and ±20 brightness shifts land at 0–1 bits; 40 distinct
 *   synthetic images were ≥ 18 bits apart;
 * - PneumoniaMNIST (real, 28×28 chest X-rays, 5,856 images): the 10 cross-split pairs at 0 bits are
 *   pixel-identical, but pairs at 3–6 bits are different images (mean abs pixel difference 13–76 vs
 *   36 for random pairs) — small grey X-rays look alike to pHash.
 * So 2: catches re-encoded/shifted copies, not look-alikes. Raise it (e.g. 6, sharp-phash's README
 * uses < 5) for larger natural-looking images, and check flagged pairs by eye.
 */
export const DEFAULT_PHASH_THRESHOLD = 2;

export interface LeakageOptions {
  /** Max Hamming distance (0..63) counted as a near duplicate; default DEFAULT_PHASH_THRESHOLD. */
  threshold?: number;
  /** Splits to compare (default: all the dataset has). */
  splits?: SplitName[];
  /** Called after each hashed image. */
  onProgress?: (done: number, total: number) => void;
  /** Images hashed concurrently (decode + hash). */
  concurrency?: number;
}

export interface LeakageReport {
  dataset: string;
  threshold: number;
  hashed: number;
  /** Cross-split near-duplicate pairs, closest first. */
  pairs: DuplicatePair[];
  /** Pair counts by split pair, e.g. { "train/test": 3 }. */
  counts: Record<string, number>;
  /** Patients present in more than one split (empty when the dataset has no patient ids). */
  patientOverlap: PatientOverlap[];
  /** Whether patient ids were available for the overlap check. */
  patientIdsAvailable: boolean;
  /** Images that could not be decoded or hashed, with the reason (they are not compared). */
  failures: Array<{ split: SplitName; id: string; reason: string }>;
}

/** Near-duplicate images across splits (perceptual hash) plus patient overlap, as a typed report. */
export async function checkLeakage(ds: DatasetSource, opts: LeakageOptions = {}): Promise<LeakageReport> {
  if (ds.dims !== 2) throw new MedprobeError(`leakage check of ${ds.name}: only 2D datasets are hashed`, { hint: 'for volumes, check patient overlap with findPatientOverlap' });
  const threshold = opts.threshold ?? DEFAULT_PHASH_THRESHOLD;
  const names = (opts.splits ?? SPLIT_NAMES).filter((s) => ds.splits[s]);
  const jobs: Array<{ split: SplitName; index: number }> = [];
  for (const s of names) for (let i = 0; i < ds.splits[s]!.size; i++) jobs.push({ split: s, index: i });
  const hashed: HashedImage[] = [];
  const failures: LeakageReport['failures'] = [];
  let next = 0;
  let done = 0;
  const bar = createProgress(`hashing ${ds.name}`, jobs.length);
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const { split, index } = jobs[next++];
      const src = ds.splits[split]!;
      try {
        const sample = await src.get(index);
        if (sample.image.kind !== '2d') throw new Error('not a 2D image');
        hashed.push({ split, id: sample.id, hash: await perceptualHash(sample.image) });
      } catch (e) {
        failures.push({ split, id: src.ids[index], reason: e instanceof MedprobeError ? e.message : (e as Error).message.split('\n')[0] });
      }
      bar.tick();
      opts.onProgress?.(++done, jobs.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  } finally {
    bar.stop();
  }
  const pairs = findNearDuplicates(hashed, threshold);
  const counts: Record<string, number> = {};
  for (const p of pairs) {
    const key = [p.a.split, p.b.split].sort((x, y) => SPLIT_NAMES.indexOf(x as SplitName) - SPLIT_NAMES.indexOf(y as SplitName)).join('/');
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const patientOf = new Map<string, string>();
  let patientIdsAvailable = false;
  const assignment: Partial<Record<SplitName, string[]>> = {};
  for (const s of names) {
    const src = ds.splits[s]!;
    assignment[s] = [...src.ids];
    if (src.patientIds) {
      patientIdsAvailable = true;
      src.ids.forEach((id, i) => patientOf.set(`${s}\u0000${id}`, src.patientIds![i]));
    }
  }
  // ids are unique per split, not necessarily across splits; key the lookup by split too
  const keyed: Partial<Record<SplitName, string[]>> = {};
  for (const s of names) keyed[s] = assignment[s]!.map((id) => `${s}\u0000${id}`);
  const overlap = findPatientOverlap(keyed, (k) => patientOf.get(k)).map((o) => ({
    ...o,
    ids: Object.fromEntries(Object.entries(o.ids).map(([s, ids]) => [s, ids!.map((k) => k.split('\u0000')[1])])),
  }));
  return { dataset: ds.name, threshold, hashed: hashed.length, pairs, counts, patientOverlap: overlap, patientIdsAvailable, failures };
}
