import path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { safeSegment } from '../util/paths.js';
import type { ImageFolderReport } from '../data/folder/source.js';

/** What opening a folder/volumes dataset did: rows used, rows skipped (with reasons), how it was split. */
export interface LoadReport extends ImageFolderReport {
  dataset: string;
  source: 'folder' | 'volumes' | 'registry';
  split: Record<string, unknown>;
  fingerprint: { value: string; method: string };
}

const printed = new Set<string>();

/**
 * Write the load report to `<dir>/_datasets/<name>/load-report.json` and, when rows were skipped,
 * print every skipped file once per process on stderr — skipping is allowed, silence is not.
 */
export async function publishLoadReport(report: LoadReport, dir: string): Promise<string> {
  const file = path.join(dir, '_datasets', safeSegment(report.dataset), 'load-report.json');
  await writeJsonAtomic(file, report);
  const key = `${file}\u0000${report.fingerprint.value}`;
  if (report.skipped.length > 0 && !printed.has(key)) {
    printed.add(key);
    const lines = [`medprobe: ${report.dataset}: ${report.skipped.length} of ${report.rows} row(s) skipped (onError: skip); report: ${file}`];
    for (const s of report.skipped) lines.push(`  line ${s.line}${s.file ? ` ${s.file}` : ''}: ${s.reason}`);
    process.stderr.write(`${lines.join('\n')}\n`);
  }
  return file;
}
