import path from 'node:path';
import type { Result } from '../../results/schema.js';
import { runSegmentDrive, runSegmentNifti } from '../../run/segment.js';
import type { SegCommonFlags, SegDecoderFlag } from '../commands/segment.js';

function printResult(file: string, r: Result): void {
  const m = r.metrics;
  const f = (k: string) => (m[k] === undefined ? '' : ` ${k} ${m[k] === null ? 'n/a' : m[k]!.toFixed(4)}`);
  process.stdout.write(`${r.protocol.name}:${f('dice')}${f('iou')}${f('auroc')}${f('dicePooled')}${f('diceAllSlices')}  → ${path.relative(process.cwd(), file) || file}\n`);
}

export async function segmentDrive(o: SegCommonFlags & { data: string; decoder: SegDecoderFlag | 'both'; widths?: number[] }): Promise<void> {
  await runSegmentDrive({
    data: o.data,
    model: o.model,
    decoders: o.decoder === 'both' ? ['linear', 'unet'] : [o.decoder],
    resultsDir: path.resolve(o.out),
    epochs: o.epochs,
    loss: o.loss,
    maps: o.maps,
    seed: o.seed,
    batchSize: o.batchSize,
    lr: o.lr,
    widths: o.widths,
    name: o.name,
    cacheDir: o.cacheDir ? path.resolve(o.cacheDir) : undefined,
    onResult: printResult,
  });
}

export async function segmentNifti(o: SegCommonFlags & { image: string; labels: string; axis: 'x' | 'y' | 'z'; decoder: SegDecoderFlag; intensity: 'ct' | 'mri'; cropToLabels?: boolean }): Promise<void> {
  const { file, result } = await runSegmentNifti({
    image: o.image,
    labels: o.labels,
    model: o.model,
    resultsDir: path.resolve(o.out),
    axis: o.axis,
    decoder: o.decoder,
    intensity: o.intensity,
    epochs: o.epochs,
    loss: o.loss,
    maps: o.maps,
    seed: o.seed,
    batchSize: o.batchSize,
    lr: o.lr,
    name: o.name,
    cropToLabels: o.cropToLabels,
    cacheDir: o.cacheDir ? path.resolve(o.cacheDir) : undefined,
  });
  printResult(file, result);
}
