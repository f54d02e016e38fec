import type { Command } from 'commander';
import YAML from 'yaml';
import { assessOpenness, catalogRows, getCatalogCard, localAvailability } from '../../models/catalog/index.js';
import { pullHubModel } from '../../models/hub-pull.js';
import { backboneRefFromPath } from '../../models/ref-from-path.js';
import { MedprobeError } from '../../util/errors.js';
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

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new MedprobeError(`${name} must be a positive integer, got '${v}'`);
    return n;
  };
}

export function registerModels(program: Command): Command {
  const models = program.command('models').description('model catalog, downloads and throughput');
  models
    .command('list')
    .description('catalog backbones: parameters, pretraining images, licence, openness, local availability')
    .option('--cache-dir <dir>', 'cache root (default $MEDPROBE_CACHE or ~/.cache/medprobe)')
    .option('--json', 'print JSON instead of a table')
    .action((o: { cacheDir?: string; json?: boolean }) => {
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
    });
  models
    .command('show <id>')
    .description('the full catalog card, with its openness assessment')
    .option('--cache-dir <dir>', 'cache root (default $MEDPROBE_CACHE or ~/.cache/medprobe)')
    .option('--json', 'print JSON instead of YAML')
    .action((id: string, o: { cacheDir?: string; json?: boolean }) => {
      const card = getCatalogCard(id);
      const full = { ...card, opennessAssessment: assessOpenness(card.openness), local: localAvailability(card, { cacheDir: o.cacheDir ?? defaultCacheDir() }) ?? null };
      process.stdout.write(o.json ? JSON.stringify(full, null, 2) + '\n' : YAML.stringify(full, { lineWidth: 0 }));
    });
  models
    .command('pull <hf-id>')
    .description('download a transformers.js-layout model (config, preprocessor config, onnx/model.onnx) from the Hugging Face hub, verified')
    .option('--cache-dir <dir>', 'cache root (default $MEDPROBE_CACHE or ~/.cache/medprobe)')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--file <path...>', 'repo-relative files to fetch instead of the default three')
    .option('--endpoint <url>', 'a hub mirror')
    .action(async (id: string, o: { cacheDir?: string; revision: string; file?: string[]; endpoint?: string }) => {
      const dir = await pullHubModel(id, { cacheDir: o.cacheDir ?? defaultCacheDir(), revision: o.revision, files: o.file, endpoint: o.endpoint });
      process.stdout.write(`${dir}\n`);
    });
  models
    .command('bench <card-or-folder>')
    .description('measure images/s of a local backbone on synthetic input and store it in <cache>/throughput.json for ETAs')
    .option('--cache-dir <dir>', 'cache root (default $MEDPROBE_CACHE or ~/.cache/medprobe)')
    .option('--batch <n>', 'images per batch', positiveInt('--batch'), 32)
    .option('--batches <n>', 'timed batches', positiveInt('--batches'), 5)
    .option('--warmup <n>', 'untimed batches first', positiveInt('--warmup'), 1)
    .option('--threads <n>', 'ONNX Runtime threads (TF.js wasm is single-threaded)', positiveInt('--threads'))
    .option('--size <px>', 'input side (default the card\'s)', positiveInt('--size'))
    .action(async (target: string, o: { cacheDir?: string; batch: number; batches: number; warmup: number; threads?: number; size?: number }) => {
      const cacheDir = o.cacheDir ?? defaultCacheDir();
      // Loaded here, not at the top: it pulls in the runtimes (TF.js, ORT), which `list`/`show` never need.
      const { benchBackbone } = await import('../../models/throughput.js');
      const r = await benchBackbone(await backboneRefFromPath(target), {
        cacheDir,
        batchSize: o.batch,
        batches: o.batches,
        warmup: o.warmup,
        threads: o.threads,
        inputSize: o.size,
      });
      process.stdout.write(
        `${r.model}: ${r.imagesPerSecond.toFixed(1)} img/s at ${r.inputSize}px, batch ${r.batchSize} × ${r.batches}, ${r.threads} thread(s), ${r.runtime}\n` +
          `stored in ${cacheDir}/throughput.json (fingerprint ${r.fingerprint.slice(0, 12)}…)\n`,
      );
    });
  return models;
}
