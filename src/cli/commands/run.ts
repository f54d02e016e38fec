import type { Command } from 'commander';
import { withComputeFlags } from '../compute-flags.js';
import { cacheDirOption, medmnistSize, outOption, positiveInt, repeatable, type MedMNISTSizeFlag } from '../flags.js';

interface RunFlags {
  model: string[];
  size?: MedMNISTSizeFlag;
  cacheDir?: string;
  out?: string;
  dryRun?: boolean;
  verify?: boolean;
  shardSize?: number;
  queue?: string;
  queueName: string;
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run <suite>')
    .description('extract (or reuse cached) features and run every model × dataset × protocol of a suite');
  cacheDirOption(cmd);
  withComputeFlags(cmd);
  outOption(cmd, 'where result JSONs go (default: the suite\'s resultsDir or results/ beside it)');
  cmd
    .option('--model <id-or-path>', 'a catalog id, model card or hub folder to run (repeatable; replaces the suite\'s models)', repeatable, [] as string[])
    .option('--size <n>', 'image size for every MedMNIST dataset of the suite: 28, 64, 128 or 224', medmnistSize)
    .option('--verify', 're-read every data file to hash it, instead of trusting hashes cached by size, mtime, inode and ctime')
    .option('--dry-run', 'print the plan (units, cached vs to compute, estimated time) and run nothing')
    .option('--shard-size <n>', 'samples per extraction shard: the unit a killed run resumes from and workers share', positiveInt('--shard-size'))
    .option('--queue <url>', 'run the plan on workers through Redis (redis://host:port) instead of in this process; see `medprobe worker`')
    .option('--queue-name <prefix>', 'BullMQ queue-name prefix, to keep separate runs on one Redis apart', 'medprobe')
    .action(async (file: string, o: RunFlags) => (await import('../actions/run.js')).runCommand(file, o));
}

export type { RunFlags };
