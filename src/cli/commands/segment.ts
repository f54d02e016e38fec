import type { Command } from 'commander';
import { withComputeFlags } from '../compute-flags.js';
import { batchSizeOption, cacheDirOption, commaList, deprecatedAlias, nonNegativeInt, oneOf, outOption, positiveInt, positiveNumber, repeatable } from '../flags.js';

export type SegDecoderFlag = 'linear' | 'unet';
export type SegLossFlag = 'dice' | 'dice+ce';

export interface SegCommonFlags {
  model: string;
  out: string;
  epochs?: number;
  loss?: SegLossFlag;
  maps?: string[];
  seed: number;
  batchSize?: number;
  lr?: number[];
  augment: boolean;
  cacheDir?: string;
  name?: string;
  json?: boolean;
}

export interface SegDriveFlags extends SegCommonFlags {
  data: string;
  decoder: SegDecoderFlag | 'both';
  widths?: number[];
  val?: number;
}

export interface SegNiftiFlags extends SegCommonFlags {
  image: string[];
  labels: string[];
  axis: 'x' | 'y' | 'z';
  decoder: SegDecoderFlag | 'both';
  modality: 'CT' | 'MRI';
  classes?: string[];
  widths?: number[];
  val?: number;
  test?: number;
  cropToLabels?: boolean;
}

const lrList = (v: string): number[] => commaList(v).map(positiveNumber('--lr', 0.01));
const widthList = (v: string): number[] => commaList(v).map(positiveInt('--widths', 64));

/** Flags of both shortcuts; each maps onto a field of the seg-* protocols (docs/segmentation.md). */
function common(cmd: Command): Command {
  cmd.requiredOption('--model <card>', 'model card (YAML/JSON) of an ONNX backbone');
  outOption(cmd, 'results folder', 'results')
    .option('--decoder <kind>', 'linear, unet or both (seg-linear / seg-unet)', oneOf('--decoder', ['linear', 'unet', 'both'] as const), 'both')
    .option('--epochs <n>', 'decoder training epochs (default: the protocol\'s, 40)', positiveInt('--epochs', 30))
    .option('--lr <list>', 'Adam learning rates, comma-separated: several are chosen among on val (default the study\'s 1e-2,5e-2,1e-3,5e-3); one is used as is', lrList)
    .option('--loss <name>', 'dice (default) or dice+ce', oneOf('--loss', ['dice', 'dice+ce'] as const))
    .option('--widths <list>', 'U-Net block widths, one per map (default 128,64,32,16)', widthList)
    .option('--no-augment', 'train without the study\'s flips and rotations')
    .option('--maps <names>', 'feature maps, deepest first, comma-separated (graph tensors or block:-k); default from the card', commaList)
    .option('--seed <n>', 'seed for decoder init, shuffles and augmentation', nonNegativeInt('--seed'), 0);
  batchSizeOption(cmd, 'decoder batch size (default 16)');
  cacheDirOption(cmd);
  withComputeFlags(cmd);
  return cmd.option('--name <dataset>', 'dataset name in the results').option('--json', 'print the results as JSON on stdout');
}

const actions = () => import('../actions/segment.js');

export function registerSegment(program: Command): void {
  const seg = program.command('segment').description('shortcuts for a one-dataset segmentation suite (seg-linear, seg-unet), run like `medprobe run`');

  common(
    seg
      .command('drive')
      .description('DRIVE layout (training/ and test/ with images, 1st_manual, mask): lr chosen on held-out training images, scored on test inside the FOV')
      .requiredOption('--data <dir>', 'DRIVE root'),
  )
    .option('--val <n>', 'training images held out (every k-th) to choose the learning rate (default 4)', positiveInt('--val', 4))
    .action(async (o: SegDriveFlags) => (await actions()).segmentDrive(o));

  const nifti = common(
    seg
      .command('nifti')
      .description('NIfTI image + label map pairs: whole volumes in train / val / test (systematic by id), sliced, scored per volume in 3D; needs ≥ 3 pairs')
      .requiredOption('--image <nii|dir>', 'image volume (repeatable, or one folder such as imagesTr/)', repeatable, [] as string[])
      .requiredOption('--labels <nii|dir>', 'label map of each --image, same order (repeatable, or one folder such as labelsTr/ with the same file names)', repeatable, [] as string[]),
  )
    .option('--axis <a>', 'slice axis of the RAS+ volume: x, y or z', oneOf('--axis', ['x', 'y', 'z'] as const), 'z')
    .option('--modality <m>', 'CT (window −1024…600 HU) or MRI (5–95th percentile)', oneOf('--modality', ['CT', 'MRI'] as const), 'MRI')
    .option('--classes <names>', 'names of label values 0..K−1, comma-separated (default: background, label 1, … up to the largest value)', commaList)
    .option('--val <n>', 'validation volumes (default ⌈n/5⌉; 0 with one --lr)', nonNegativeInt('--val'))
    .option('--test <n>', 'test volumes (default ⌈n/5⌉)', positiveInt('--test', 2))
    .option('--crop-to-labels', 'accept label maps covering a whole-voxel sub-block of the image (the image is cropped to it)');
  deprecatedAlias(nifti, { flags: '--intensity <rule>', attr: 'intensity' }, { flag: '--modality', attr: 'modality' }, (v: string) => ({ ct: 'CT', mri: 'MRI' })[oneOf('--intensity', ['ct', 'mri'] as const)(v)]);
  nifti.action(async (o: SegNiftiFlags) => (await actions()).segmentNifti(o));
}
