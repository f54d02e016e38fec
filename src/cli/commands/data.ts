import type { Command } from 'commander';
import { MedprobeError } from '../../util/errors.js';
import { cacheDirOption, limitOption, medmnistSize, oneOf, outOption, type MedMNISTSizeFlag } from '../flags.js';

function parseThreshold(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 63) throw new MedprobeError(`--threshold must be an integer 0..63 (Hamming bits of a 64-bit pHash), got '${v}'`, { hint: 'e.g. --threshold 2 (the default); larger values flag less similar pairs' });
  return n;
}

const actions = () => import('../actions/data.js');

export function registerData(program: Command): Command {
  const data = program.command('data').description('datasets: download, inspect, check');
  const pull = data
    .command('pull <name>')
    .description('download a MedMNIST dataset, or an MSD task of the registry, from its official URL and verify its MD5; for other registry datasets, print the manual download steps')
    .option('--size <n>', 'image size: 28, 64, 128 or 224 (3D: 28 or 64)', medmnistSize, 28 as MedMNISTSizeFlag);
  cacheDirOption(pull, 'cache root (default $MEDPROBE_CACHE or ~/.cache/medprobe)')
    .option('--base-url <url>', 'a mirror that serves the same file names')
    .option('--dir <folder>', 'registry datasets: the folder the task unpacks into (default: data)')
    .action(async (name: string, o: { size: MedMNISTSizeFlag; cacheDir?: string; baseUrl?: string; dir?: string }) => (await actions()).dataPull(name, o));
  data
    .command('overlay <image> <labels> <out.png>')
    .description('write a PNG of one slice of a NIfTI volume with its label map overlaid (checks alignment)')
    .option('--axis <plane>', 'axial, coronal or sagittal', oneOf('--axis', ['axial', 'coronal', 'sagittal'] as const), 'axial')
    .option('--index <n>', 'slice index (default: the slice with the most labelled voxels)', (v) => Number(v))
    .action(async (image: string, labels: string, out: string, o: { axis: 'axial' | 'coronal' | 'sagittal'; index?: number }) => (await actions()).dataOverlay(image, labels, out, o));
  const check = data
    .command('check <config>')
    .description('leakage check of a suite\'s (or one dataset entry\'s) datasets: near-duplicate images across splits (perceptual hash) and patients in two splits; exit 1 on leakage')
    .option('--threshold <bits>', 'max pHash Hamming distance counted as a near duplicate (default 2)', parseThreshold)
    .option('--report-only', 'exit 0 even when leakage is found');
  limitOption(check, 'pairs and patients printed per dataset (all are in the JSON)', 20);
  cacheDirOption(check, 'cache root (default: the suite\'s, else $MEDPROBE_CACHE or ~/.cache/medprobe)');
  outOption(check, 'where reports go (default: the suite\'s results folder)');
  check.action(async (config: string, o: { threshold?: number; reportOnly?: boolean; limit: number; cacheDir?: string; out?: string }) => (await actions()).dataCheck(config, o));
  data
    .command('doctor [name] [dir]')
    .description('check a downloaded registry dataset folder: layout, then its loader (counts, partial download) and one decoded case per split; say exactly what is missing or broken (no arguments: list the registry)')
    .option('--all', 'decode every case, not one per split')
    .action(async (name: string | undefined, dir: string | undefined, o: { all?: boolean }) => (await actions()).dataDoctor(name, dir, o));
  const splits = data.command('splits').description('export or verify a dataset\'s split assignment (medprobe.splits/v1 with content sha256)');
  cacheDirOption(
    splits
      .command('export <config> <out.json>')
      .description('write the split assignment a suite/dataset entry produces (official, systematic, random or file)')
      .option('--dataset <name>', 'which dataset of a suite'),
    'cache root',
  ).action(async (config: string, out: string, o: { dataset?: string; cacheDir?: string }) => (await actions()).splitsExport(config, out, o));
  cacheDirOption(
    splits
      .command('import <config> <splits.json>')
      .description('verify a split file against its sha256 and the dataset\'s ids; say whether it matches the current assignment')
      .option('--dataset <name>', 'which dataset of a suite'),
    'cache root',
  ).action(async (config: string, file: string, o: { dataset?: string; cacheDir?: string }) => (await actions()).splitsImport(config, file, o));
  data
    .command('info <path>')
    .description('a quick look at a DICOM file or series folder, a NIfTI file or an npz: shape, spacing, value/HU range, orientation')
    .action(async (p: string) => (await actions()).dataInfo(p));
  return data;
}
