import path from 'node:path';
import { requireSuiteData } from '../../run/preflight.js';
import { resolveRunLocation } from '../../run/resources.js';
import { runSuite, type RunSummary } from '../../run/runner.js';
import { requireWritableFolder } from '../../util/output-folder.js';
import { segmentDriveSuite, segmentNiftiSuite, type SegmentShortcutOptions } from '../../run/segment.js';
import type { LoadedSuite } from '../../run/suite.js';
import type { SegCommonFlags, SegDriveFlags, SegNiftiFlags } from '../commands/segment.js';

function shortcutOptions(o: SegCommonFlags & { decoder: 'linear' | 'unet' | 'both'; widths?: number[] }): SegmentShortcutOptions {
  return {
    model: o.model,
    decoders: o.decoder === 'both' ? ['linear', 'unet'] : [o.decoder],
    resultsDir: path.resolve(o.out),
    ...(o.cacheDir ? { cacheDir: path.resolve(o.cacheDir) } : {}),
    name: o.name,
    seed: o.seed,
    epochs: o.epochs,
    lr: o.lr,
    batchSize: o.batchSize,
    loss: o.loss,
    maps: o.maps,
    widths: o.widths,
    augment: o.augment,
  };
}

/** One line per result: its headline and the chosen lr, like the leaderboard's cells. */
function report(summary: RunSummary, json?: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(summary.results.map((r) => ({ file: r.file, protocol: r.result.protocol.name, reused: r.reused, chosen: r.result.selection.chosen, metrics: r.result.metrics })), null, 2) + '\n');
    return;
  }
  for (const { file, result: r, reused } of summary.results) {
    const m = r.metrics;
    const f = (k: string) => (m[k] === undefined ? '' : ` ${k} ${m[k] === null ? 'n/a' : m[k]!.toFixed(4)}`);
    const lr = r.selection.chosen.lr === undefined ? '' : ` (lr ${r.selection.chosen.lr}${r.selection.split === 'val' ? ', chosen on val' : ''})`;
    process.stdout.write(`${r.protocol.name}:${f('diceJaccard')}${f('dice')}${f('iou')}${f('dicePooled')}${lr}${reused ? ' [reused]' : ''}  → ${path.relative(process.cwd(), file) || file}\n`);
  }
}

/** As `medprobe run`: the data and folders are checked before any model is opened. */
async function run(loaded: LoadedSuite, json?: boolean): Promise<void> {
  const location = resolveRunLocation(loaded);
  await requireSuiteData(location);
  await requireWritableFolder(location.cacheDir, 'cacheDir');
  await requireWritableFolder(location.resultsDir, 'resultsDir');
  report(await runSuite({ suite: loaded }), json);
}

export async function segmentDrive(o: SegDriveFlags): Promise<void> {
  await run(segmentDriveSuite({ ...shortcutOptions(o), data: o.data, val: o.val }), o.json);
}

export async function segmentNifti(o: SegNiftiFlags): Promise<void> {
  const loaded = await segmentNiftiSuite({ ...shortcutOptions(o), images: o.image, labels: o.labels, modality: o.modality, axis: o.axis, classes: o.classes, val: o.val, test: o.test, cropToLabels: o.cropToLabels });
  await run(loaded, o.json);
}
