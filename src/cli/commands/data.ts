import type { Command } from 'commander';
import { pullMedMNIST } from '../../data/medmnist/pull.js';
import { medmnistInfo, type MedMNISTSize } from '../../data/medmnist/registry.js';
import { MedprobeError } from '../../util/errors.js';
import { defaultCacheDir } from '../../util/paths.js';
import { renderNiftiOverlay } from '../../data/nifti/overlay.js';

function parseSize(v: string): MedMNISTSize {
  const n = Number(v);
  if (![28, 64, 128, 224].includes(n)) throw new MedprobeError(`--size must be 28, 64, 128 or 224, got '${v}'`);
  return n as MedMNISTSize;
}

export function registerData(program: Command): Command {
  const data = program.command('data').description('datasets: download, inspect, check');
  data
    .command('pull <name>')
    .description('download a MedMNIST dataset from its official URL and verify its MD5')
    .option('--size <n>', 'image size: 28, 64, 128 or 224 (3D: 28 or 64)', parseSize, 28 as MedMNISTSize)
    .option('--cache-dir <dir>', 'cache root (default $MEDPROBE_CACHE or ~/.cache/medprobe)')
    .option('--base-url <url>', 'a mirror that serves the same file names')
    .action(async (name: string, o: { size: MedMNISTSize; cacheDir?: string; baseUrl?: string }) => {
      const info = medmnistInfo(name);
      const file = await pullMedMNIST(info.name, { size: o.size, cacheDir: o.cacheDir ?? defaultCacheDir(), baseUrl: o.baseUrl });
      process.stdout.write(`${file}\n`);
    });
  data
    .command('overlay <image> <labels> <out.png>')
    .description('write a PNG of one slice of a NIfTI volume with its label map overlaid (checks alignment)')
    .option('--axis <plane>', 'axial, coronal or sagittal', 'axial')
    .option('--index <n>', 'slice index (default: the slice with the most labelled voxels)', (v) => Number(v))
    .action(async (image: string, labels: string, out: string, o: { axis: 'axial' | 'coronal' | 'sagittal'; index?: number }) => {
      if (!['axial', 'coronal', 'sagittal'].includes(o.axis)) throw new MedprobeError(`--axis must be axial, coronal or sagittal, got '${o.axis}'`);
      const r = await renderNiftiOverlay(image, labels, out, { axis: o.axis, index: o.index });
      process.stdout.write(`${out}: ${r.axis} slice ${r.index}, ${r.width}x${r.height}, ${r.labelledPixels} labelled pixels\n`);
    });
  return data;
}
