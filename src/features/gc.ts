import { promises as fs } from 'node:fs';
import path from 'node:path';
import { lockIsStale, processAlive, readLock } from '../util/lock.js';
import { FeatureCache, type FeatureManifest } from './cache.js';

/**
 * `medprobe cache gc`: remove what an interrupted process left in the cache and nothing else.
 *  - temp files and directories (`.tmp-<name>-<pid>-<rand>`) whose process is gone;
 *  - shard entries whose split was merged (a kill between the merge's rename and its cleanup
 *    leaves them, ~rows × dims × 4 bytes each);
 *  - stale lock files (see util/lock.ts for the rule).
 * A temp path of a live process on this host is kept: gc is safe to run beside a run. The pid
 * test assumes the temp files were written on this host; on a cache shared between machines,
 * run gc where no other machine is writing.
 */
export interface GcItem {
  path: string;
  bytes: number;
  why: 'temp file of a finished process' | 'shard already merged' | 'stale lock';
}

export interface GcReport {
  removed: GcItem[];
  freedBytes: number;
}

const TEMP = /^\.tmp-.*-(\d+)-[0-9a-f]{8}$/;

async function sizeOf(p: string): Promise<number> {
  const st = await fs.lstat(p);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await fs.readdir(p)) total += await sizeOf(path.join(p, name));
  return total;
}

async function readManifest(dir: string): Promise<FeatureManifest | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as FeatureManifest;
  } catch {
    return undefined;
  }
}

/** Every path under `dir` (links are listed, never followed). */
async function* walk(dir: string): AsyncGenerator<{ full: string; name: string; isDir: boolean }> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    yield { full, name: e.name, isDir: e.isDirectory() };
    if (e.isDirectory() && !TEMP.test(e.name)) yield* walk(full);
  }
}

export async function collectGarbage(cacheDir: string, opts: { dryRun?: boolean } = {}): Promise<GcReport> {
  const features = new FeatureCache(path.join(cacheDir, 'features'));
  const found: { path: string; why: GcItem['why'] }[] = [];
  for await (const e of walk(cacheDir)) {
    const temp = TEMP.exec(e.name);
    if (temp && !processAlive(Number(temp[1]))) found.push({ path: e.full, why: 'temp file of a finished process' });
    else if (!e.isDir && e.name.endsWith('.lock')) {
      const lock = await readLock(e.full);
      if (lock && lockIsStale(lock)) found.push({ path: e.full, why: 'stale lock' });
    } else if (e.isDir && path.dirname(path.dirname(e.full)) === features.root) {
      const m = await readManifest(e.full);
      if (m?.shardOf && (await features.has(m.shardOf))) found.push({ path: e.full, why: 'shard already merged' });
    }
  }
  const removed: GcItem[] = [];
  for (const f of found) {
    let bytes: number;
    try {
      bytes = await sizeOf(f.path);
    } catch {
      continue; // removed meanwhile by its owner
    }
    if (!opts.dryRun) await fs.rm(f.path, { recursive: true, force: true });
    removed.push({ ...f, bytes });
  }
  return { removed, freedBytes: removed.reduce((a, r) => a + r.bytes, 0) };
}
