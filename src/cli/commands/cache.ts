import type { Command } from 'commander';
import { cacheDirOption, jsonOption } from '../flags.js';

export interface CacheGcFlags {
  cacheDir?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function registerCache(program: Command): void {
  const cache = program.command('cache').description('maintain the feature cache');
  const gc = cache
    .command('gc')
    .description('remove what interrupted runs left behind (temp files, merged shards, stale locks) and report the bytes freed')
    .option('--dry-run', 'list what would be removed, remove nothing');
  cacheDirOption(gc);
  jsonOption(gc).action(async (o: CacheGcFlags) => (await import('../actions/cache.js')).cacheGcCommand(o));
}
