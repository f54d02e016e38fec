import path from 'node:path';
import type { Command } from 'commander';
import { buildSite } from '../../report/site.js';
import { builtinSiteCatalog } from '../../report/builtin-catalog.js';
import { serveSite } from '../../report/serve.js';
import { readPcaManifest, vizPca } from '../../run/viz-pca.js';
import { backboneRefFromPath } from '../../models/ref-from-path.js';
import { MedprobeError } from '../../util/errors.js';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new MedprobeError(`--port must be 0–65535, got '${v}'`);
  return n;
}

export function registerReport(program: Command): void {
  program
    .command('report [results]')
    .description('build the static leaderboard site (works from file://, offline) from a results folder')
    .option('--out <dir>', 'output folder', 'site')
    .option('--title <text>', 'site title')
    .option('--metric <name>', 'classification metric to rank by', 'auroc')
    .option('--pca <dir>', 'a folder written by `medprobe viz pca`, shown on its model\'s page (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (dir: string | undefined, o: { out: string; title?: string; metric: string; pca: string[] }) => {
      const pca = await Promise.all(o.pca.map(readPcaManifest));
      const built = await buildSite(path.resolve(dir ?? 'results'), path.resolve(o.out), { title: o.title, metric: o.metric, catalog: builtinSiteCatalog(), pca });
      for (const s of built.skipped) process.stderr.write(`figure skipped: ${s.title} — ${s.skipped}\n`);
      process.stdout.write(`${path.join(built.outDir, 'index.html')} (${built.pages.length} pages, ${built.figures.length} figures)\n`);
    });
  program
    .command('viz')
    .description('figures outside the site')
    .command('pca')
    .description('PCA patch maps (DINOv2-style): first 3 components of patch tokens as RGB, background thresholded on the first')
    .requiredOption('--model <path>', 'model card or hub folder')
    .requiredOption('--data <npz>', 'a MedMNIST npz')
    .option('--split <name>', 'train, val or test', 'test')
    .option('--count <n>', 'images', (v: string) => Number(v), 4)
    .option('--map <name>', 'graph output or block (block:-1) to decompose')
    .option('--threshold <t>', 'background threshold on the first component, 0–1 (none: keep all)', (v: string) => (v === 'none' ? null : Number(v)))
    .option('--out <dir>', 'output folder', 'pca')
    .action(async (o: { model: string; data: string; split: 'train' | 'val' | 'test'; count: number; map?: string; threshold?: number | null; out: string }) => {
      const m = await vizPca({ model: await backboneRefFromPath(o.model), data: o.data, split: o.split, count: o.count, map: o.map, threshold: o.threshold, outDir: path.resolve(o.out) });
      process.stdout.write(`${m.images.length} PCA maps of ${m.model} (${m.map}) in ${o.out}; foreground ${(100 * m.foregroundFraction).toFixed(0)}% of patches\n`);
    });
  program
    .command('serve [site]')
    .description('preview a built site on http://127.0.0.1 (localhost only)')
    .option('--port <n>', 'port (0 = any free one)', parsePort, 8080)
    .action(async (dir: string | undefined, o: { port: number }) => {
      const served = await serveSite(path.resolve(dir ?? 'site'), o.port);
      process.stdout.write(`serving ${path.resolve(dir ?? 'site')} at ${served.url} — Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => void served.close().then(resolve)));
    });
}
