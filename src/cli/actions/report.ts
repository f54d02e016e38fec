import path from 'node:path';
import { requireWritableFolder } from '../../util/output-folder.js';

// Each command imports its own modules: `serve` must not load jsdom and Plot, `report` not ORT.

export async function reportCommand(dir: string | undefined, o: { out: string; title?: string; metric?: string; segmentationMetric?: string; pca: string[] }): Promise<void> {
  const { buildSite } = await import('../../report/site.js');
  const { builtinSiteCatalog } = await import('../../report/builtin-catalog.js');
  const { readPcaManifest } = await import('../../run/viz-pca.js');
  const pca = await Promise.all(o.pca.map(readPcaManifest));
  await requireWritableFolder(path.resolve(o.out), '--out');
  const built = await buildSite(path.resolve(dir ?? 'results'), path.resolve(o.out), { title: o.title, metric: o.metric, segmentationMetric: o.segmentationMetric, catalog: builtinSiteCatalog(), pca });
  for (const s of built.skipped) process.stderr.write(`figure skipped: ${s.title} — ${s.skipped}\n`);
  process.stdout.write(`${path.join(built.outDir, 'index.html')} (${built.pages.length} pages, ${built.figures.length} figures)\n`);
}

export async function vizPcaCommand(o: { model: string; data: string; split: 'train' | 'val' | 'test'; count: number; map?: string; threshold?: number | null; out: string }): Promise<void> {
  const { vizPca } = await import('../../run/viz-pca.js');
  const { backboneRefFromPath } = await import('../../models/ref-from-path.js');
  const m = await vizPca({ model: await backboneRefFromPath(o.model), data: o.data, split: o.split, count: o.count, map: o.map, threshold: o.threshold, outDir: path.resolve(o.out) });
  process.stdout.write(`${m.images.length} PCA maps of ${m.model} (${m.map}) in ${o.out}; foreground ${(100 * m.foregroundFraction).toFixed(0)}% of patches\n`);
}

export async function serveCommand(dir: string | undefined, o: { port: number }): Promise<void> {
  const { serveSite } = await import('../../report/serve.js');
  const served = await serveSite(path.resolve(dir ?? 'site'), o.port);
  process.stdout.write(`serving ${path.resolve(dir ?? 'site')} at ${served.url} — Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => void served.close().then(resolve)));
}
