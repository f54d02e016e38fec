import { pullMedMNIST } from '../../data/medmnist/pull.js';
import { medmnistInfo, type MedMNISTSize } from '../../data/medmnist/registry.js';
import { MedprobeError } from '../../util/errors.js';
import { defaultCacheDir } from '../../util/paths.js';
import { renderNiftiOverlay } from '../../data/nifti/overlay.js';
import { doctorDataset } from '../../data/registry/doctor.js';
import { REGISTRY } from '../../data/registry/datasets.js';
import { exportSplits, importSplits } from '../../data/splits/file.js';
import { SPLIT_NAMES } from '../../data/types.js';
import { describeMedicalFile } from '../../data/volumes/info.js';
import { loadDatasetConfigs, type DatasetConfigs } from '../../run/dataset-config.js';
import { checkDatasets } from '../../run/data-check.js';
import { openSuiteDatasetDetailed } from '../../run/datasets.js';
import type { DatasetEntry } from '../../run/suite.js';

/** The one entry a splits command acts on: the only one, or the one named by --dataset. */
function pickEntry(configs: DatasetConfigs, name?: string): DatasetEntry {
  const label = (e: DatasetEntry) => ('name' in e && e.name) || ('root' in e ? e.root : e.source);
  if (name) {
    const e = configs.entries.find((x) => label(x) === name);
    if (!e) throw new MedprobeError(`no dataset '${name}' in ${configs.file}`, { hint: `datasets: ${configs.entries.map(label).join(', ')}` });
    return e;
  }
  if (configs.entries.length > 1) throw new MedprobeError(`${configs.file} has ${configs.entries.length} datasets`, { hint: `pick one with --dataset (${configs.entries.map(label).join(', ')})` });
  return configs.entries[0];
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r, i) => `${r.map((c, j) => c.padEnd(widths[j])).join('  ').trimEnd()}${i === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : ''}`).join('\n');
}

export async function dataPull(name: string, o: { size: MedMNISTSize; cacheDir?: string; baseUrl?: string; dir?: string }): Promise<void> {
  const reg = REGISTRY.find((d) => d.name === name);
  if (reg) {
    const { manualDownloadSteps, pullRegistryDataset, registryArchive } = await import('../../data/registry/pull.js');
    if (!registryArchive(name)) {
      process.stdout.write(`${manualDownloadSteps(reg).join('\n')}\n`);
      process.exitCode = 1;
      return;
    }
    const r = await pullRegistryDataset(name, { dir: o.dir ?? 'data', baseUrl: o.baseUrl });
    const c = r.doctor.content;
    process.stdout.write(`${r.folder}: ${r.downloaded ? 'downloaded, MD5 verified, unpacked' : 'already there (not downloaded again)'} · ${r.doctor.ok ? 'doctor OK' : `doctor: ${r.doctor.problems.join('; ')}`}${c ? ` · ${c.used} of ${c.rows} cases` : ''}\n`);
    if (!r.doctor.ok) process.exitCode = 1;
    return;
  }
  const info = medmnistInfo(name);
  const file = await pullMedMNIST(info.name, { size: o.size, cacheDir: o.cacheDir ?? defaultCacheDir(), baseUrl: o.baseUrl });
  process.stdout.write(`${file}\n`);
}

export async function dataOverlay(image: string, labels: string, out: string, o: { axis: 'axial' | 'coronal' | 'sagittal'; index?: number }): Promise<void> {
  const r = await renderNiftiOverlay(image, labels, out, { axis: o.axis, index: o.index });
  process.stdout.write(`${out}: ${r.axis} slice ${r.index}, ${r.width}x${r.height}, ${r.labelledPixels} labelled pixels\n`);
}

export async function dataCheck(config: string, o: { threshold?: number; reportOnly?: boolean; limit: number; cacheDir?: string; out?: string }): Promise<void> {
  const checks = await checkDatasets(await loadDatasetConfigs(config, { cacheDir: o.cacheDir, resultsDir: o.out }), { threshold: o.threshold });
  const out: string[] = [];
  for (const { report: r, file, leakage } of checks) {
    out.push(`${r.dataset}: ${r.hashed} image(s) hashed, threshold ${r.threshold} bits — ${r.pairs.length} near-duplicate pair(s) across splits${Object.keys(r.counts).length ? ` (${Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}; ${r.patientIdsAvailable ? `${r.patientOverlap.length} patient(s) in more than one split` : 'no patient ids (overlap not checked)'}${r.failures.length ? `; ${r.failures.length} image(s) unreadable` : ''}${leakage ? ' — LEAKAGE' : ' — clean'}`);
    if (r.pairs.length > 0) {
      out.push(table([['split', 'id', 'split', 'id', 'bits'], ...r.pairs.slice(0, o.limit).map((p) => [p.a.split, p.a.id, p.b.split, p.b.id, String(p.distance)])]));
      if (r.pairs.length > o.limit) out.push(`… and ${r.pairs.length - o.limit} more pair(s)`);
    }
    if (r.patientOverlap.length > 0) {
      out.push(table([['patient', 'splits', 'images'], ...r.patientOverlap.slice(0, o.limit).map((p) => [p.patientId, p.splits.join(', '), SPLIT_NAMES.filter((s) => p.ids[s]).map((s) => `${s}: ${p.ids[s]!.join(' ')}`).join('; ')])]));
      if (r.patientOverlap.length > o.limit) out.push(`… and ${r.patientOverlap.length - o.limit} more patient(s)`);
    }
    for (const f of r.failures.slice(0, o.limit)) out.push(`  unreadable ${f.split}/${f.id}: ${f.reason}`);
    out.push(`report: ${file}`, '');
  }
  process.stdout.write(`${out.join('\n')}`);
  if (checks.some((c) => c.leakage) && !o.reportOnly) process.exitCode = 1;
}

export async function dataDoctor(name?: string, dir?: string, o: { all?: boolean } = {}): Promise<void> {
  if (!name) {
    process.stdout.write(`${REGISTRY.map((d) => `${d.name.padEnd(24)} ${d.modality.padEnd(6)} ${d.title}`).join('\n')}\n`);
    return;
  }
  if (!dir) throw new MedprobeError('data doctor needs the dataset folder', { hint: `medprobe data doctor ${name} <dir>` });
  const r = await doctorDataset(name, dir, { content: true, all: o.all });
  const c = r.content;
  const lines = [`${r.dataset} in ${r.dir}: ${!r.ok ? 'INCOMPLETE' : c && c.missing > 0 ? 'OK (partial)' : 'OK'}`];
  for (const k of r.checks) lines.push(`  ${k.ok ? 'ok  ' : 'FAIL'} ${k.message}${k.optional ? ' (optional)' : ''}`);
  for (const p of r.problems.slice(r.checks.filter((k) => !k.ok).length)) lines.push(`  FAIL ${p}`); // not a folder, or content
  if (c) {
    lines.push(`  content: ${c.used} of ${c.rows} present${c.missing ? ` (${c.missing} missing)` : ''}; ${SPLIT_NAMES.filter((s) => c.splitSizes[s]).map((s) => `${s} ${c.splitSizes[s]}`).join(' · ') || 'no split'}`);
    lines.push(`  decoded: ${c.opened.length ? c.opened.join(', ') : 'nothing'}`);
    for (const n of c.notes) lines.push(`  note ${n}`);
  }
  for (const w of r.warnings) lines.push(`  note ${w}`);
  if (!r.ok) lines.push(`download: ${r.download}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!r.ok) process.exitCode = 1;
}

export async function splitsExport(config: string, out: string, o: { dataset?: string; cacheDir?: string }): Promise<void> {
  const configs = await loadDatasetConfigs(config, { cacheDir: o.cacheDir });
  const opened = await openSuiteDatasetDetailed(pickEntry(configs, o.dataset), configs.ctx);
  const sf = await exportSplits(out, opened.dataset.name, opened.assignment, opened.loadReport?.split ?? { official: true });
  process.stdout.write(`${out}: ${opened.dataset.name} ${SPLIT_NAMES.filter((s) => sf.splits[s]).map((s) => `${s} ${sf.splits[s]!.length}`).join(' · ')} · sha256 ${sf.sha256}\n`);
}

export async function splitsImport(config: string, file: string, o: { dataset?: string; cacheDir?: string }): Promise<void> {
  const configs = await loadDatasetConfigs(config, { cacheDir: o.cacheDir });
  const opened = await openSuiteDatasetDetailed(pickEntry(configs, o.dataset), configs.ctx);
  const ds = opened.dataset;
  const ids = SPLIT_NAMES.flatMap((s) => [...(ds.splits[s]?.ids ?? [])]);
  const sf = await importSplits(file, ids);
  if (sf.dataset !== ds.name) throw new MedprobeError(`split file ${file} is for dataset '${sf.dataset}', not '${ds.name}'`, { file, hint: 'pass the split file of this dataset' });
  const same = SPLIT_NAMES.every((s) => JSON.stringify([...(sf.splits[s] ?? [])].sort()) === JSON.stringify([...(opened.assignment[s] ?? [])].sort()));
  process.stdout.write(`${file}: verified (sha256 ${sf.sha256}) · ${SPLIT_NAMES.filter((s) => sf.splits[s]).map((s) => `${s} ${sf.splits[s]!.length}`).join(' · ')} · ${same ? 'same as' : 'differs from'} the config's current split${same ? '' : ` (use it with splits: {file: ${file}})`}\n`);
}

export async function dataInfo(p: string): Promise<void> {
  const info = await describeMedicalFile(p);
  const w = Math.max(...info.fields.map(([k]) => k.length));
  const lines = [info.path, ...info.fields.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`), ...info.warnings.map((x) => `  warning: ${x}`)];
  process.stdout.write(`${lines.join('\n')}\n`);
}
