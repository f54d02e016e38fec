import path from 'node:path';
import { checkLeakage, DEFAULT_PHASH_THRESHOLD, type LeakageReport } from '../data/leakage/check.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { safeSegment } from '../util/paths.js';
import { openSuiteDatasetDetailed } from './datasets.js';
import type { DatasetConfigs } from './dataset-config.js';

export interface DatasetCheck {
  report: LeakageReport;
  /** Where the JSON report was written. */
  file: string;
  /** Near-duplicate pairs across splits or patients in two splits. */
  leakage: boolean;
}

/**
 * Leakage check of every dataset in a config: near-duplicate images across splits (perceptual
 * hash, 2D only) and patients in more than one split, after the entry's own split policy. Each
 * report is written to `<results>/_datasets/<name>/leakage-report.json`.
 */
export async function checkDatasets(configs: DatasetConfigs, opts: { threshold?: number } = {}): Promise<DatasetCheck[]> {
  const out: DatasetCheck[] = [];
  for (const entry of configs.entries) {
    const opened = await openSuiteDatasetDetailed(entry, configs.ctx, { overlap: 'report' });
    const ds = opened.dataset;
    const report: LeakageReport =
      ds.dims === 2
        ? await checkLeakage(ds, { threshold: opts.threshold ?? DEFAULT_PHASH_THRESHOLD })
        : // volumes are not hashed (pHash is a 2D measure); patient overlap still applies
          { dataset: ds.name, threshold: opts.threshold ?? DEFAULT_PHASH_THRESHOLD, hashed: 0, pairs: [], counts: {}, patientOverlap: [], patientIdsAvailable: false, failures: [] };
    // The policy-aware overlap (ids keyed across the dataset) is the one that decides.
    report.patientOverlap = opened.patientOverlap;
    report.patientIdsAvailable = opened.patientIdsAvailable;
    const file = path.join(configs.ctx.resultsDir, '_datasets', safeSegment(ds.name), 'leakage-report.json');
    await writeJsonAtomic(file, report);
    out.push({ report, file, leakage: report.pairs.length > 0 || report.patientOverlap.length > 0 });
  }
  return out;
}
