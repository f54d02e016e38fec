import type { Command } from 'commander';
import { withComputeFlags } from '../compute-flags.js';
import { batchSizeOption, cacheDirOption, commaList, nonNegativeInt, oneOf, outOption, positiveInt, positiveNumber } from '../flags.js';

export type SegDecoderFlag = 'linear' | 'unet';
export type SegLossFlag = 'dice' | 'dice+ce';

export interface SegCommonFlags {
  model: string;
  out: string;
  epochs?: number;
  loss: SegLossFlag;
  maps?: string[];
  seed: number;
  batchSize?: number;
  lr?: number;
  cacheDir?: string;
  name?: string;
}

function common(cmd: Command): Command {
  cmd.requiredOption('--model <card>', 'model card (YAML/JSON) of an ONNX backbone');
  outOption(cmd, 'results folder', 'results')
    .option('--epochs <n>', 'decoder training epochs', positiveInt('--epochs', 30))
    .option('--maps <names>', 'feature maps, deepest first, comma-separated (graph tensors or block:-k); default from the card', commaList)
    .option('--seed <n>', 'seed for decoder init and shuffles', nonNegativeInt('--seed'), 0);
  batchSizeOption(cmd, 'decoder batch size');
  cmd.option('--lr <x>', 'Adam learning rate', positiveNumber('--lr'));
  cacheDirOption(cmd, 'where tapped model copies and file digests are kept (default <out>/.cache)');
  withComputeFlags(cmd);
  return cmd.option('--name <dataset>', 'dataset name in the results');
}

const actions = () => import('../actions/segment.js');

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
    .option('--widths <list>', 'U-Net block widths, one per map (default 128,64,32,16)', (v: string) => commaList(v).map(positiveInt('--widths', 64)))
    .action(async (o: SegCommonFlags & { data: string; decoder: SegDecoderFlag | 'both'; widths?: number[] }) => (await actions()).segmentDrive(o));

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
    .action(
      async (o: SegCommonFlags & { image: string; labels: string; axis: 'x' | 'y' | 'z'; decoder: SegDecoderFlag; intensity: 'ct' | 'mri'; cropToLabels?: boolean }) =>
        (await actions()).segmentNifti(o),
    );
}
