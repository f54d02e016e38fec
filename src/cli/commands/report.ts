import path from 'node:path';
import type { Command } from 'commander';
import { buildSite } from '../../report/site.js';
import { builtinSiteCatalog } from '../../report/builtin-catalog.js';
import { serveSite } from '../../report/serve.js';
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
    .action(async (dir: string | undefined, o: { out: string; title?: string; metric: string }) => {
      const built = await buildSite(path.resolve(dir ?? 'results'), path.resolve(o.out), { title: o.title, metric: o.metric, catalog: builtinSiteCatalog() });
      for (const s of built.skipped) process.stderr.write(`figure skipped: ${s.title} — ${s.skipped}\n`);
      process.stdout.write(`${path.join(built.outDir, 'index.html')} (${built.pages.length} pages, ${built.figures.length} figures)\n`);
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
