import YAML from 'yaml';
import { assessOpenness, catalogRows, getCatalogCard, localAvailability } from '../../models/catalog/index.js';
import { recipeFiles, writeRecipeFiles } from '../../models/catalog/recipe-files.js';
import { pullHubModel } from '../../models/hub-pull.js';
import { backboneRefFromPath } from '../../models/ref-from-path.js';
import { defaultCacheDir } from '../../util/paths.js';

/** 21000000 → 21M, 1100000000 → 1.1B, 410208 → 410K; null → '?'. */
function compact(n: number | null): string {
  if (n === null) return '?';
  for (const [div, unit] of [[1e9, 'B'], [1e6, 'M'], [1e3, 'K']] as const) {
    if (n >= div) return `${Number((n / div).toPrecision(3))}${unit}`;
  }
  return String(n);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

export function modelsList(o: { cacheDir?: string; json?: boolean }): void {
  const rows = catalogRows({ cacheDir: o.cacheDir ?? defaultCacheDir() });
  if (o.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  process.stdout.write(
    table(
      ['id', 'params', 'pretrain imgs', 'licence', 'openness', 'local'],
      rows.map((r) => [r.id, compact(r.params), compact(r.pretrainingImages), r.licence ?? '?', `${r.openness.class} ${r.openness.score}`, r.local ? 'yes' : '-']),
    ),
  );
}

export function modelsShow(id: string, o: { cacheDir?: string; json?: boolean }): void {
  const card = getCatalogCard(id);
  const full = { ...card, opennessAssessment: assessOpenness(card.openness), local: localAvailability(card, { cacheDir: o.cacheDir ?? defaultCacheDir() }) ?? null };
  process.stdout.write(o.json ? JSON.stringify(full, null, 2) + '\n' : YAML.stringify(full, { lineWidth: 0 }));
}

export async function modelsRecipe(id: string, o: { out?: string }): Promise<void> {
  const card = getCatalogCard(id);
  if (card.onnx.tool === 'provided') {
    process.stdout.write(`${card.id}: nothing to export — ${card.onnx.command}\n`);
    return;
  }
  if (!o.out) {
    const files = recipeFiles(card);
    const parts = [`# ---- ${files.script.name} ----`, files.script.text];
    parts.push(files.card ? `# ---- ${files.card.name} ----\n${files.card.text}` : '# no medprobe card ships for this export: write one (docs/models.md)\n');
    process.stdout.write(parts.join('\n'));
    return;
  }
  const w = await writeRecipeFiles(card, o.out);
  const next = w.card ? `then use the card: --model ${w.card}` : 'then write a model card for the file it writes (docs/models.md)';
  process.stdout.write(`wrote ${w.script}${w.card ? ` and ${w.card}` : ''}\nrun: cd ${o.out} && ${w.run}\n${next}\n`);
}

export async function modelsPull(id: string, o: { cacheDir?: string; revision: string; file?: string[]; endpoint?: string }): Promise<void> {
  const dir = await pullHubModel(id, { cacheDir: o.cacheDir ?? defaultCacheDir(), revision: o.revision, files: o.file, endpoint: o.endpoint });
  process.stdout.write(`${dir}\n`);
}

export async function modelsBench(target: string, o: { cacheDir?: string; batchSize: number; batches: number; warmup: number; threads?: number; size?: number }): Promise<void> {
  const cacheDir = o.cacheDir ?? defaultCacheDir();
  // Loaded here, not at the top: it pulls in the runtimes (TF.js, ORT), which `list`/`show` never need.
  const { benchBackbone } = await import('../../models/throughput.js');
  const r = await benchBackbone(await backboneRefFromPath(target), {
    cacheDir,
    batchSize: o.batchSize,
    batches: o.batches,
    warmup: o.warmup,
    threads: o.threads,
    inputSize: o.size,
  });
  process.stdout.write(
    `${r.model}: ${r.imagesPerSecond.toFixed(1)} img/s at ${r.inputSize}px, batch ${r.batchSize} × ${r.batches}, ${r.threads} thread(s), ${r.runtime}\n` +
      `stored in ${cacheDir}/throughput.json (fingerprint ${r.fingerprint.slice(0, 12)}…)\n`,
  );
}
