import type { Command } from 'commander';
import { withComputeFlags } from '../compute-flags.js';
import type { Precision } from '../../models/onnx/device.js';
import { batchSizeOption, cacheDirOption, jsonOption, limitOption, medmnistSize, outOption, positiveInt, protocolsOption, repeatable, type MedMNISTSizeFlag } from '../flags.js';

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
  limit?: number;
  protocols?: string[];
  json?: boolean;
  batchSize?: number;
  /** From the compute flags: over the suite's precision. */
  precision?: Precision;
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run <suite>')
    .description('extract (or reuse cached) features and run every model × dataset × protocol of a suite');
  cacheDirOption(cmd);
  withComputeFlags(cmd);
  outOption(cmd, 'where result JSONs go (default: the suite\'s resultsDir or results/ beside it; with --limit n, that folder + "-limit-n")');
  limitOption(cmd, 'at most n samples per split (classes taken in turn): a quick end-to-end check, cached and stored apart from full runs');
  protocolsOption(cmd, 'run only these of the suite\'s protocols, comma-separated (e.g. knn,linear)');
  batchSizeOption(cmd, "extraction batch for every model, over the suite's batchSize (default: chosen per model from its activation size and the memory budget, $MEDPROBE_MEMORY_BUDGET_MB or half of available memory; the plan prints the expected peak)");
  jsonOption(cmd, 'print the results (or, with --dry-run, the plan) as JSON on stdout instead of the Markdown leaderboard');
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
