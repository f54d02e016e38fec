import path from 'node:path';
import { collectGarbage } from '../../features/gc.js';
import { defaultCacheDir } from '../../util/paths.js';
import type { CacheGcFlags } from '../commands/cache.js';

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export async function cacheGcCommand(o: CacheGcFlags): Promise<void> {
  const cacheDir = path.resolve(o.cacheDir ?? defaultCacheDir());
  const report = await collectGarbage(cacheDir, { dryRun: o.dryRun });
  if (o.json) {
    process.stdout.write(JSON.stringify({ cacheDir, dryRun: !!o.dryRun, ...report }, null, 2) + '\n');
    return;
  }
  for (const r of report.removed) process.stdout.write(`${o.dryRun ? 'would remove' : 'removed'} ${path.relative(cacheDir, r.path)} (${r.why}, ${mb(r.bytes)})\n`);
  process.stdout.write(`${o.dryRun ? 'would free' : 'freed'} ${mb(report.freedBytes)} in ${report.removed.length} item(s) under ${cacheDir}\n`);
}
