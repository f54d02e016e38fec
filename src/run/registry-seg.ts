import path from 'node:path';
import { REGISTRY } from '../data/registry/datasets.js';
import { doctorDataset, registryEntry } from '../data/registry/doctor.js';
import { exportSplits } from '../data/splits/file.js';
import type { RegistrySegCase } from '../data/registry/segmentation.js';
import { MedprobeError } from '../util/errors.js';
import { hashObject } from '../util/hash.js';
import { safeSegment } from '../util/paths.js';
import type { SegmentationEntry } from './dataset-entries.js';
import { publishLoadReport } from './load-report.js';
import { fingerprintOf, finiteVolume, type SegItem, type SegSource } from './seg-datasets.js';

const FINGERPRINT_METHOD = 'sha256 over the sha256 of every image and label file (relative to the dataset folder) and the split file';

/**
 * A registry segmentation dataset (MSD, AMOS, Montgomery) as a suite's SegSource: the doctor's
 * layout check, then the dataset's own loader with the study's split, written to
 * `_datasets/<name>/splits.json` with its hash (and a load report) like the classification
 * registry entries, so two machines provably segment the same volumes.
 */
export async function openRegistrySegDataset(entry: SegmentationEntry, ctx: { baseDir: string; cacheDir: string; resultsDir?: string }): Promise<SegSource> {
  const reg = registryEntry(entry.name);
  if (!reg.segLoader) throw new MedprobeError(`${entry.name} is not a registry segmentation dataset`, { hint: `use one of: ${REGISTRY.filter((d) => d.segLoader).map((d) => d.name).join(', ')}` });
  const dir = path.resolve(ctx.baseDir, entry.root);
  const doctor = await doctorDataset(entry.name, dir);
  if (!doctor.ok) {
    throw new MedprobeError(`${entry.name} in ${dir} is incomplete: ${doctor.problems.join('; ')}`, { hint: `download it from ${doctor.download}; \`medprobe data doctor ${entry.name} ${dir}\` shows every check` });
  }
  const load = await reg.segLoader(dir, { onError: entry.onError });
  const empty = (['train', 'test'] as const).filter((s) => load.splits[s].length === 0);
  if (empty.length > 0) {
    throw new MedprobeError(`${entry.name} in ${dir} has no ${empty.join(' or ')} case (${load.report.used} usable of ${load.report.rows}; split ${JSON.stringify(load.split.method)})`, {
      hint: 'too few cases are present for the study split; finish the download (`medprobe data doctor` counts what is there)',
    });
  }
  const out = ctx.resultsDir ?? ctx.cacheDir;
  const splitFile = path.join(out, '_datasets', safeSegment(entry.name), 'splits.json');
  const sf = await exportSplits(splitFile, entry.name, load.split.assignment, load.split.method);
  const fp = await fingerprintOf(dir, load.files, ctx.cacheDir);
  const fingerprint = hashObject({ files: fp.fingerprint, split: sf.sha256 });
  await publishLoadReport(
    { ...load.report, dataset: entry.name, source: 'registry', split: { ...load.split.method, file: path.relative(out, splitFile), sha256: sf.sha256 }, fingerprint: { value: fingerprint, method: FINGERPRINT_METHOD } },
    out,
  );
  const item = (c: RegistrySegCase): SegItem => ({
    id: c.id,
    files: c.files,
    load: async () => {
      const x = await c.load();
      return 'labelMap' in x ? finiteVolume(x) : x;
    },
  });
  return {
    name: entry.name,
    root: dir,
    dims: load.dims,
    classes: load.classes,
    modality: load.modality,
    ...(load.intensity ? { intensity: load.intensity } : {}),
    axis: entry.axis,
    fingerprint,
    files: fp.files,
    splits: { train: load.splits.train.map(item), val: load.splits.val.map(item), test: load.splits.test.map(item) },
  };
}
