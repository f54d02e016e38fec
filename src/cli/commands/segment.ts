import path from 'node:path';
import type { Command } from 'commander';
import type { Result } from '../../results/schema.js';
import { runSegmentDrive, runSegmentNifti, type SegDecoderKind, type SegLossName } from '../../run/segment.js';
import { MedprobeError } from '../../util/errors.js';

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new MedprobeError(`${flag} ${v} is not a positive integer`, { hint: `e.g. ${flag} 30` });
    return n;
  };
}

function positiveNumber(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new MedprobeError(`${flag} ${v} is not a positive number`, { hint: `e.g. ${flag} 0.001` });
    return n;
  };
}

function oneOf<T extends string>(flag: string, allowed: readonly T[]) {
  return (v: string): T => {
    if (!(allowed as readonly string[]).includes(v)) throw new MedprobeError(`${flag} must be ${allowed.join(' or ')}, got '${v}'`);
    return v as T;
  };
}

function list(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function widthList(v: string): number[] {
  return list(v).map((s) => positiveInt('--widths')(s));
}

function printResult(file: string, r: Result): void {
  const m = r.metrics;
  const f = (k: string) => (m[k] === undefined ? '' : ` ${k} ${m[k] === null ? 'n/a' : m[k]!.toFixed(4)}`);
  process.stdout.write(`${r.protocol.name}:${f('dice')}${f('iou')}${f('auroc')}${f('dicePooled')}${f('diceAllSlices')}  → ${path.relative(process.cwd(), file) || file}\n`);
}

interface CommonOpts {
  model: string;
  results: string;
  epochs?: number;
  loss: SegLossName;
  maps?: string[];
  seed: number;
  batchSize?: number;
  lr?: number;
  cacheDir?: string;
  name?: string;
}

function common(cmd: Command): Command {
  return cmd
    .requiredOption('--model <card>', 'model card (YAML/JSON) of an ONNX backbone')
    .option('--results <dir>', 'results folder', 'results')
    .option('--epochs <n>', 'decoder training epochs', positiveInt('--epochs'))
    .option('--maps <names>', 'feature maps, deepest first, comma-separated (graph tensors or block:-k); default from the card')
    .option('--seed <n>', 'seed for decoder init and shuffles', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new MedprobeError(`--seed ${v} is not a non-negative integer`);
      return n;
    }, 0)
    .option('--batch-size <n>', 'decoder batch size', positiveInt('--batch-size'))
    .option('--lr <x>', 'Adam learning rate', positiveNumber('--lr'))
    .option('--cache-dir <dir>', 'where tapped model copies and file digests are kept (default <results>/.cache)')
    .option('--name <dataset>', 'dataset name in the results');
}

export function registerSegment(program: Command): void {
  const seg = program.command('segment').description('train a decoder on frozen feature maps and write segmentation results (seg-linear, seg-unet)');

  common(
    seg
      .command('drive')
      .description('DRIVE layout (training/ and test/ with images, 1st_manual, mask): train on training, score on test inside the FOV')
      .requiredOption('--data <dir>', 'DRIVE root'),
  )
    .option('--decoder <kind>', 'linear, unet or both', oneOf('--decoder', ['linear', 'unet', 'both'] as const), 'both')
    .option('--loss <name>', 'dice or dice+ce', oneOf('--loss', ['dice', 'dice+ce'] as const), 'dice')
    .option('--widths <list>', 'U-Net block widths, one per map (default 128,64,32,16)', widthList)
    .action(async (o: CommonOpts & { data: string; decoder: SegDecoderKind | 'both'; widths?: number[] }) => {
      const resultsDir = path.resolve(o.results);
      await runSegmentDrive({
        data: o.data,
        model: o.model,
        decoders: o.decoder === 'both' ? ['linear', 'unet'] : [o.decoder],
        resultsDir,
        epochs: o.epochs,
        loss: o.loss,
        maps: o.maps ? list(String(o.maps)) : undefined,
        seed: o.seed,
        batchSize: o.batchSize,
        lr: o.lr,
        widths: o.widths,
        name: o.name,
        cacheDir: o.cacheDir ? path.resolve(o.cacheDir) : undefined,
        onResult: printResult,
      });
    });

  common(
    seg
      .command('nifti')
      .description('one NIfTI image + label map, cut into slices: decoder trained on even slices, Dice on the odd ones')
      .requiredOption('--image <nii>', 'image volume (.nii or .nii.gz)')
      .requiredOption('--labels <nii>', 'label map on the same grid'),
  )
    .option('--axis <a>', 'slice axis of the RAS+ volume: x, y or z', oneOf('--axis', ['x', 'y', 'z'] as const), 'z')
    .option('--decoder <kind>', 'linear or unet', oneOf('--decoder', ['linear', 'unet'] as const), 'unet')
    .option('--intensity <rule>', 'ct (window −1024…600 HU) or mri (5–95th percentile)', oneOf('--intensity', ['ct', 'mri'] as const), 'mri')
    .option('--loss <name>', 'dice or dice+ce', oneOf('--loss', ['dice', 'dice+ce'] as const), 'dice+ce')
    .option('--crop-to-labels', 'accept a label map covering a whole-voxel sub-block of the image')
    .action(async (o: CommonOpts & { image: string; labels: string; axis: 'x' | 'y' | 'z'; decoder: SegDecoderKind; intensity: 'ct' | 'mri'; cropToLabels?: boolean }) => {
      const { file, result } = await runSegmentNifti({
        image: o.image,
        labels: o.labels,
        model: o.model,
        resultsDir: path.resolve(o.results),
        axis: o.axis,
        decoder: o.decoder,
        intensity: o.intensity,
        epochs: o.epochs,
        loss: o.loss,
        maps: o.maps ? list(String(o.maps)) : undefined,
        seed: o.seed,
        batchSize: o.batchSize,
        lr: o.lr,
        name: o.name,
        cropToLabels: o.cropToLabels,
        cacheDir: o.cacheDir ? path.resolve(o.cacheDir) : undefined,
      });
      printResult(file, result);
    });
}
