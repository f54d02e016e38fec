import type { Command } from 'commander';
import { cacheDirOption, outOption } from '../flags.js';

export interface QuickstartFlags {
  dataDir?: string;
  model?: string;
  cacheDir?: string;
  out: string;
}

export function registerQuickstart(program: Command): void {
  const cmd = program
    .command('quickstart')
    .description('PneumoniaMNIST × DINOv2-S: pull both (MD5/sha256-checked) into the cache, run kNN + linear probe, print the leaderboard')
    .option('--data-dir <dir>', 'use a local pneumoniamnist.npz (a folder holding it, or the file) instead of downloading')
    .option('--model <path>', 'use a local model card or hub-layout folder instead of downloading dinov2-small');
  cacheDirOption(cmd);
  outOption(cmd, 'results folder', 'medprobe-results/quickstart');
  cmd.action(async (o: QuickstartFlags) => (await import('../actions/quickstart.js')).quickstartCommand(o));
}
