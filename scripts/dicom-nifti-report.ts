// Real-data report for the DICOM/NIfTI readers: prints the Markdown tables that go into
// docs/results/dicom-nifti.md and writes the overlay PNG to docs/img/.
// Usage: node --import tsx scripts/dicom-nifti-report.ts [../shared]
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDicomSeries, surveyDicomFiles, transferSyntaxName } from '../src/data/dicom/index.js';
import { readNifti, renderNiftiOverlay } from '../src/data/nifti/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(process.argv[2] ?? path.join(root, '../shared'));
const t0 = performance.now();

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = path.join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

const pyd = path.join(shared, 'data/dicom/pydicom');
const top = readdirSync(pyd).filter((n) => statSync(path.join(pyd, n)).isFile()).sort().map((n) => path.join(pyd, n));
const rows = await surveyDicomFiles(top);
const count = (s: string) => rows.filter((r) => r.status === s).length;
console.log(`### pydicom corpus (${rows.length} files): ${count('loaded')} loaded, ${count('rejected')} rejected with a reason, ${count('crashed')} crashed\n`);
console.log('| file | result | transfer syntax | detail |\n|---|---|---|---|');
for (const r of rows) {
  const ts = r.transferSyntaxUID ? transferSyntaxName(r.transferSyntaxUID) : '';
  console.log(`| ${path.basename(r.file)} | ${r.status} | ${ts} | ${r.detail.replace(pyd + '/', '').replace(/\|/g, '\\|')} |`);
}
const dd = walk(path.join(pyd, 'dicomdirtests'));
const ddRows = await surveyDicomFiles(dd);
const ddCount = (s: string) => ddRows.filter((r) => r.status === s).length;
console.log(`\ndicomdirtests/ (${ddRows.length} files): ${ddCount('loaded')} loaded, ${ddCount('rejected')} rejected, ${ddCount('crashed')} crashed`);
for (const r of ddRows.filter((x) => x.status !== 'loaded')) console.log(`- ${path.relative(pyd, r.file)}: ${r.status} — ${r.detail.replace(pyd + '/', '')}`);

const vol = await readDicomSeries(path.join(shared, 'data/dicom/monai-ct'));
console.log(`\n### monai-ct series\n\n${vol.depth} slices of ${vol.width}×${vol.height}, spacing ${vol.spacing.map((s) => +s.toFixed(4)).join(' × ')} mm, order ${vol.files.map((f) => path.basename(f)).join(', ')}`);
for (let z = 0; z < vol.depth; z++) {
  const sl = vol.data.subarray(z * vol.width * vol.height, (z + 1) * vol.width * vol.height);
  let min = Infinity;
  let max = -Infinity;
  for (const v of sl) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  console.log(`- z=${z} (${path.basename(vol.files[z])}): HU ${min} … ${max}, world z ${(vol.affine[11] + z * vol.affine[10]).toFixed(2)} mm (affine)`);
}
console.log(`- warnings: ${vol.warnings.join('; ') || 'none'}`);

const ct = await readNifti(path.join(shared, 'data/nifti/niivue/CT_AVM.nii.gz'));
const edges = [-1024, -800, -600, -400, -200, 0, 100, 200, 300, 400, 500, 600];
const hist = new Array(edges.length - 1).fill(0);
let below = 0;
let above = 0;
for (const raw of ct.data) {
  if (raw < -1024) below++;
  if (raw > 600) above++;
  const v = Math.min(600, Math.max(-1024, raw));
  let b = edges.findIndex((e, i) => i > 0 && v < e) - 1;
  if (b < 0) b = edges.length - 2;
  hist[b]++;
}
let min = Infinity;
let max = -Infinity;
for (const v of ct.data) {
  min = Math.min(min, v);
  max = Math.max(max, v);
}
console.log(`\n### CT_AVM.nii.gz windowed to [−1024, 600]\n\n${ct.width}×${ct.height}×${ct.depth} ${ct.header.datatype}, scl_slope ${ct.header.sclSlope}, scl_inter ${ct.header.sclInter}; values ${min} … ${max.toFixed(2)}; clipped below ${below}, above ${above}\n`);
console.log('| bin | voxels | share |\n|---|---|---|');
hist.forEach((c, i) => console.log(`| [${edges[i]}, ${edges[i + 1]}${i === hist.length - 1 ? ']' : ')'} | ${c} | ${((100 * c) / ct.data.length).toFixed(2)} % |`));

const info = await renderNiftiOverlay(
  path.join(shared, 'data/nifti/monai/anatomical.nii'),
  path.join(shared, 'data/nifti/monai/anatomical_label.nii.gz'),
  path.join(root, 'docs/img/nifti-overlay-anatomical.png'),
);
console.log(`\noverlay: ${JSON.stringify(info)} → docs/img/nifti-overlay-anatomical.png`);
console.log(`\nwall time ${((performance.now() - t0) / 1000).toFixed(1)} s, node ${process.version}`);
