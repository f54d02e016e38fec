import type { Command } from 'commander';
import { cacheDirOption, medmnistSize, outOption, type MedMNISTSizeFlag } from '../flags.js';

export interface QuickstartFlags {
  dataDir?: string;
  size?: MedMNISTSizeFlag;
  download?: boolean;
  model?: string;
  cacheDir?: string;
  out: string;
}

export function registerQuickstart(program: Command): void {
  const cmd = program
    .command('quickstart')
    .description('the main job on the embedded default, offline: PneumoniaMNIST × MobileNetV2-0.35 (both shipped in the package), kNN + linear probe, leaderboard')
    .option('--model <id-or-path>', 'another backbone: a catalog or hub id (e.g. dinov2-small; downloaded, sha256-checked, when not cached), a model card or a hub folder')
    .option('--data-dir <dir>', 'use a local pneumoniamnist.npz (a folder holding it, or the file) instead of the embedded copy')
    .option('--size <n>', 'PneumoniaMNIST image size: 28 (embedded) or 64, 128, 224 (downloaded from MedMNIST, MD5-checked)', medmnistSize)
    .option('--download', 'download PneumoniaMNIST from MedMNIST\'s official URL (MD5-checked) instead of using the embedded copy');
  cacheDirOption(cmd);
  outOption(cmd, 'results folder', 'medprobe-results/quickstart');
  cmd.action(async (o: QuickstartFlags) => (await import('../actions/quickstart.js')).quickstartCommand(o));
}
