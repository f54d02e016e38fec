import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/atomic.js';
import { readRegularFileInside, refuseLinksBelow } from '../util/output-folder.js';
import { MedprobeError } from '../util/errors.js';
import { h, Fragment, type ComponentChildren } from 'preact';
import { buildLeaderboard, normaliseModality, taskKindOf, type LeaderboardOptions } from '../results/leaderboard.js';
import type { Result } from '../results/schema.js';
import { mainScoreOf } from '../protocols/registry.js';
import { loadResultFiles, type StoredResult } from '../results/store.js';
import { matchCatalogEntries, type SiteCatalogEntry } from './catalog.js';
import { jsonForScriptTag, slugify } from './escape.js';
import { mergeDatasetInfo, registryDatasetInfo } from './dataset-facts.js';
import { writeLeaderboardExports } from './exports.js';
import {
  fewShotOf,
  gridPointsOf,
  leakageOf,
  loadDatasetInfos,
  overlaysOf,
  type DatasetInfo,
  type LeakageSummary,
} from './figure-inputs.js';
import { crossTaskRankFigure, fewShotFigure, figurePng, gridFigure, scalingFigure, type Figure, type FewShotCurve, type SkippedFigure } from './figures.js';
import { RANKING_NOTE } from './markdown.js';
import { predictionsCsv } from './predictions-csv.js';
import { DatasetPage } from './html/dataset-page.js';
import { IndexPage } from './html/index-page.js';
import { renderPage } from './html/layout.js';
import { viewTables, type ViewTable } from './html/leaderboard-view.js';
import { ModelPage } from './html/model-page.js';
import { linkOrText } from './html/parts.js';
import type { RecipeUse } from './html/preprocessing.js';
import type { ResultRow } from './html/results-table.js';
import { StudyTablesPage } from './html/study-tables-page.js';
import { studyTables } from './study-tables.js';

export const SITE_DATA_SCHEMA_VERSION = 'medprobe.site/v1';

/** PCA patch-map images (PNG files) to show on a model's page, e.g. written by `medprobe viz pca`. */
export interface SitePcaImages {
  model: string;
  images: { file: string; caption: string }[];
}

/** The metric a result is shown by: the user's for its task kind, else its protocol's main score (protocol registry). */
function rankingMetric(r: Result, opts: Pick<LeaderboardOptions, 'metric' | 'segmentationMetric'>): string {
  const kind = taskKindOf(r);
  return (kind === 'segmentation' ? opts.segmentationMetric : opts.metric) ?? mainScoreOf(r.protocol.name, kind);
}

export interface BuildSiteOptions extends Pick<LeaderboardOptions, 'metric' | 'segmentationMetric'> {
  title?: string;
  /** Catalog cards; models without one render "no card". */
  catalog?: readonly SiteCatalogEntry[];
  /** Dataset facts beyond the result files; merged with `<results>/_datasets/*.json` (these win). */
  datasets?: readonly DatasetInfo[];
  pca?: readonly SitePcaImages[];
  /** Rasterise every figure to PNG as well (default true). */
  png?: boolean;
}

export interface BuiltSite {
  outDir: string;
  /** Relative paths of the HTML pages written. */
  pages: string[];
  /** Relative paths of the figure SVGs written. */
  figures: string[];
  skipped: SkippedFigure[];
}

/** Static assets ship beside the code: `<package>/assets/site/` is two levels above src/report and dist/report. */
const ASSET_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../assets/site');

export { SITE_CSP } from './html/layout.js';

/** Unique, filesystem-safe slugs: distinct names that slugify alike get -2, -3… in first-seen order. */
class SlugTable {
  private readonly bySlug = new Set<string>();
  private readonly byName = new Map<string, string>();
  get(name: string): string {
    let s = this.byName.get(name);
    if (s) return s;
    const base = slugify(name);
    s = base;
    for (let i = 2; this.bySlug.has(s.toLowerCase()); i++) s = `${base}-${i}`;
    this.bySlug.add(s.toLowerCase());
    this.byName.set(name, s);
    return s;
  }
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const BASE_MODALITIES = ['X-ray', 'CT', 'MRI'];
const KINDS = ['classification', 'segmentation'];

/** Copy an overlay PNG referenced by a result into the site; refuses paths outside the results folder. */
async function copyOverlay(resultsDir: string, resultFile: string, rel: string, dest: string): Promise<void> {
  const src = path.resolve(resultsDir, path.dirname(resultFile), rel);
  const inside = path.relative(path.resolve(resultsDir), src);
  if (inside.startsWith('..') || path.isAbsolute(inside) || !src.toLowerCase().endsWith('.png'))
    throw new MedprobeError(`overlay ${rel} in ${resultFile} must be a .png inside the results folder`, { file: resultFile, hint: 'write overlays next to the result file and list them by relative path' });
  await writeFileAtomic(dest, await readRegularFileInside(resultsDir, src, 'overlay', resultFile));
}

/**
 * Build the static site from a results folder: leaderboard page with sortable/filterable tables
 * and figures, one page per model and per dataset, raw result JSON and predictions CSV, and the
 * leaderboard exports. Opens from file:// with no server, network or inline script.
 * Files are (over)written in `outDir`; nothing else there is deleted.
 */
export async function buildSite(resultsDir: string, outDir: string, opts: BuildSiteOptions = {}): Promise<BuiltSite> {
  const stored = await loadResultFiles(resultsDir);
  const siteTitle = opts.title ?? 'medprobe leaderboard';
  // Dataset facts: medprobe's registries, then side files, then opts.datasets (later wins per field).
  const sideInfo = new Map((await loadDatasetInfos(resultsDir)).map((d) => [d.name, d]));
  const optInfo = new Map((opts.datasets ?? []).map((d) => [d.name, d]));
  const infoCache = new Map<string, DatasetInfo | undefined>();
  const infoFor = (name: string): DatasetInfo | undefined => {
    if (!infoCache.has(name)) infoCache.set(name, mergeDatasetInfo(registryDatasetInfo(name), sideInfo.get(name), optInfo.get(name)));
    return infoCache.get(name);
  };
  const lbOpts: LeaderboardOptions = { metric: opts.metric, segmentationMetric: opts.segmentationMetric, modalityOf: (d) => infoFor(d)?.modality };
  const lb = buildLeaderboard(stored.map((s) => s.result), lbOpts);
  // Cards keyed by the model name used in results (matched through aliases), so one model has one page.
  const cardOf = matchCatalogEntries(opts.catalog ?? [], [...new Set(stored.map((s) => s.result.model.name))]);
  const catalog = [...cardOf.entries()].map(([name, card]) => ({ ...card, name }));
  const pages: string[] = [];
  const figures: string[] = [];
  const skipped: SkippedFigure[] = [];
  const write = async (rel: string, data: string | Uint8Array): Promise<void> => {
    await refuseLinksBelow(outDir, path.join(outDir, rel));
    await writeFileAtomic(path.join(outDir, rel), data);
  };

  const figSlugs = new SlugTable();
  const emit = async (fig: Figure | SkippedFigure): Promise<Figure | SkippedFigure> => {
    const unique = { ...fig, id: figSlugs.get(fig.id) };
    if ('skipped' in unique) {
      skipped.push(unique);
      return unique;
    }
    // The id is baked into the SVG's title/desc ids; keep them in step with the unique file name.
    const out = unique.id === fig.id ? (unique as Figure) : { ...(unique as Figure), svg: (fig as Figure).svg.split(`"${fig.id}-`).join(`"${unique.id}-`) };
    await write(`figures/${out.id}.svg`, out.svg + '\n');
    if (opts.png !== false) await write(`figures/${out.id}.png`, await figurePng(out));
    figures.push(`figures/${out.id}.svg`);
    return out;
  };

  for (const a of ['site.js', 'site.css']) await write(`assets/${a}`, await fs.readFile(path.join(ASSET_DIR, a)));

  const modelSlugs = new SlugTable();
  const datasetSlugs = new SlugTable();
  const modelsWithResults = [...new Set(stored.map((s) => s.result.model.name))].sort(byName);
  const modelNames = [...new Set([...cardOf.keys(), ...modelsWithResults])].sort(byName);
  const datasetNames = [...new Set(stored.map((s) => s.result.dataset.name))].sort(byName);
  const modelHref = (name: string, root: string): string => `${root}models/${modelSlugs.get(name)}.html`;
  const datasetHref = (name: string, root: string): string => `${root}datasets/${datasetSlugs.get(name)}.html`;

  // Raw result JSON (byte-identical) and per-sample predictions as CSV.
  const rawOf = new Map<StoredResult, { json: string; csv: string }>();
  for (const s of stored) {
    const r = s.result;
    const protocolSlug = slugify(r.protocol.name);
    const base = `results/${modelSlugs.get(r.model.name)}/${datasetSlugs.get(r.dataset.name)}/${protocolSlug}`;
    await write(`${base}.json`, await fs.readFile(path.join(resultsDir, s.file)));
    await write(`${base}.predictions.csv`, predictionsCsv(r));
    rawOf.set(s, { json: `${base}.json`, csv: `${base}.predictions.csv` });
  }
  const rowOf = (s: StoredResult, label: string, labelHref: string): ResultRow => ({
    result: s.result,
    label,
    labelHref,
    json: `../${rawOf.get(s)!.json}`,
    csv: `../${rawOf.get(s)!.csv}`,
  });

  await writeLeaderboardExports(lb, outDir);

  // ---- leaderboard page: the unfiltered tables in the HTML; one precomputed view per filter for the script.
  const modalityOfResult = (r: Result): string => normaliseModality(r.dataset.modality ?? infoFor(r.dataset.name)?.modality);
  const presentModalities = [...new Set(stored.map((s) => modalityOfResult(s.result)))];
  const modalities = [...BASE_MODALITIES, ...presentModalities.filter((m) => !BASE_MODALITIES.includes(m)).sort(byName)];
  const views: Record<string, ViewTable[]> = {};
  for (const m of ['all', ...modalities])
    for (const k of ['all', ...KINDS]) {
      const subset = stored
        .map((s) => s.result)
        .filter((r: Result) => (m === 'all' || modalityOfResult(r) === m) && (k === 'all' || taskKindOf(r) === k));
      views[`${m}|${k}`] = viewTables(buildLeaderboard(subset, lbOpts));
    }
  const links = {
    models: Object.fromEntries(modelNames.map((n) => [n, modelHref(n, '')])),
    datasets: Object.fromEntries(datasetNames.map((n) => [n, datasetHref(n, '')])),
  };
  const siteData = { schema: SITE_DATA_SCHEMA_VERSION, modalities, kinds: KINDS, protocols: lb.protocols.map((p) => p.protocol), views, links };

  const topFigures = [
    await emit(crossTaskRankFigure(lb)),
    await emit(scalingFigure(lb, catalog, 'params')),
    await emit(scalingFigure(lb, catalog, 'pretrainingImages')),
  ];
  const page = (rel: string, title: string, root: string, body: ComponentChildren, scripts?: ComponentChildren): Promise<void> => {
    pages.push(rel);
    return write(rel, renderPage({ title, siteTitle, root, children: body, scripts }));
  };
  await page(
    'index.html',
    siteTitle,
    '',
    h(IndexPage, {
      siteTitle,
      resultFiles: stored.length,
      modelsWithResults,
      catalogOnly: modelNames.filter((n) => !modelsWithResults.includes(n)),
      datasets: datasetNames,
      tables: views['all|all'],
      figures: topFigures,
      rankingNote: RANKING_NOTE,
      hasCatalogEntry: (n) => cardOf.has(n),
      modelHref: (n) => modelHref(n, ''),
      datasetHref: (n) => datasetHref(n, ''),
    }),
    h(Fragment, null, h('script', { type: 'application/json', id: 'medprobe-data', dangerouslySetInnerHTML: { __html: jsonForScriptTag(siteData) } }), h('script', { src: 'assets/site.js' })),
  );
  await page(
    'study-tables.html',
    `Study tables — ${siteTitle}`,
    '',
    h(StudyTablesPage, { tables: studyTables(lb), modelHref: (n) => modelHref(n, ''), datasetHref: (n) => datasetHref(n, '') }),
  );

  // ---- model pages
  const pcaOf = new Map((opts.pca ?? []).map((p) => [p.model, p.images]));
  for (const name of modelNames) {
    const slug = modelSlugs.get(name);
    const mine = stored.filter((s) => s.result.model.name === name);
    const first = mine[0]?.result.model;
    const grids: (Figure | SkippedFigure)[] = [];
    for (const s of mine) {
      const pts = gridPointsOf(s.result);
      // The linear probe's default keeps, per weight decay, only its lowest-objective lr for val (src/protocols/linear/options.ts).
      const rule = s.result.protocol.config.lrSelection === 'train-loss' ? 'the lr is chosen per weight decay by training objective and val picks among those heads' : undefined;
      if (pts.length) grids.push(await emit(gridFigure(`grid-${slug}-${datasetSlugs.get(s.result.dataset.name)}-${slugify(s.result.protocol.name)}`, name, s.result.dataset.name, s.result.selection.metric, pts, rule)));
    }
    const pca: { src: string; caption: string }[] = [];
    for (const [i, img] of (pcaOf.get(name) ?? []).entries()) {
      const rel = `pca/${slug}-${i + 1}.png`;
      await write(rel, await fs.readFile(img.file));
      pca.push({ src: `../${rel}`, caption: img.caption });
    }
    await page(
      `models/${slug}.html`,
      `${name} — ${siteTitle}`,
      '../',
      h(ModelPage, {
        name,
        entry: cardOf.get(name),
        asRun: first ? `${first.runtime.name} ${first.runtime.version}, input ${first.inputSize} px, feature ${first.feature}` : undefined,
        rows: mine.map((s) => rowOf(s, s.result.dataset.name, datasetHref(s.result.dataset.name, '../'))),
        grids,
        pca,
      }),
    );
  }

  // ---- dataset pages
  for (const name of datasetNames) {
    const slug = datasetSlugs.get(name);
    const mine = stored.filter((s) => s.result.dataset.name === name);
    const first = mine[0].result;
    const info = infoFor(name);
    // One recipe per model (a model's protocols share its features, so its recipe).
    const recipes = new Map<string, RecipeUse>();
    for (const s of mine) {
      const key = JSON.stringify(s.result.dataset.preprocessing);
      const use = recipes.get(key) ?? { models: [], recipe: s.result.dataset.preprocessing };
      if (!use.models.includes(s.result.model.name)) use.models.push(s.result.model.name);
      recipes.set(key, use);
    }
    const leakage: { source: string; summary: LeakageSummary }[] = [];
    if (info?.leakage) leakage.push({ source: 'dataset file', summary: info.leakage });
    for (const s of mine) {
      const l = leakageOf(s.result, s.file);
      if (l) leakage.push({ source: `${s.result.model.name} · ${s.result.protocol.name}`, summary: l });
    }
    const curves: FewShotCurve[] = [];
    for (const s of mine) for (const series of fewShotOf(s.result, s.file, rankingMetric(s.result, opts))) curves.push({ model: s.result.model.name, protocol: s.result.protocol.name, series });
    const fewShot = curves.length ? await emit(fewShotFigure(`few-shot-${slug}`, name, curves)) : undefined;
    const overlays: { src: string; alt: string; caption: string }[] = [];
    for (const s of mine) {
      const list = overlaysOf(s.result, s.file);
      for (const [i, file] of list.entries()) {
        const rel = `overlays/${modelSlugs.get(s.result.model.name)}/${slug}/${slugify(s.result.protocol.name)}-${i + 1}.png`;
        await refuseLinksBelow(outDir, path.join(outDir, rel));
        await copyOverlay(resultsDir, s.file, file, path.join(outDir, rel));
        overlays.push({
          src: `../${rel}`,
          alt: `Segmentation overlay ${i + 1} of ${list.length}: ${s.result.model.name}, ${s.result.protocol.name}, on ${name} (${path.basename(file)})`,
          caption: `${s.result.model.name} · ${path.basename(file)}`,
        });
      }
    }
    const splitSizes = Object.entries(first.dataset.splitSizes).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(' · ');
    await page(
      `datasets/${slug}.html`,
      `${name} — ${siteTitle}`,
      '../',
      h(DatasetPage, {
        name,
        description: info?.description,
        facts: [
          ['Task', `${taskKindOf(first)} · ${first.dataset.task.type}`],
          ['Labels', first.dataset.task.labels.join(', ')],
          ['Modality', modalityOfResult(first)],
          ['Dimensions', `${first.dataset.dims}D`],
          ['Split sizes', splitSizes],
          ['Licence', info?.licence],
          ['Citation', info?.citation],
          ['Link', linkOrText(info?.url)],
        ],
        recipes: [...recipes.values()],
        leakage,
        rows: mine.map((s) => rowOf(s, s.result.model.name, modelHref(s.result.model.name, '../'))),
        fewShot,
        overlays,
      }),
    );
  }

  return { outDir, pages, figures, skipped };
}
