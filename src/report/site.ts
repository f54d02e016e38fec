import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/atomic.js';
import { MedprobeError } from '../util/errors.js';
import { buildLeaderboard, normaliseModality, taskKindOf, type Leaderboard, type LeaderboardOptions, type ProtocolTable } from '../results/leaderboard.js';
import type { Result } from '../results/schema.js';
import { loadResultFiles, type StoredResult } from '../results/store.js';
import { matchCards, type SiteModelCard } from './catalog.js';
import { escapeHtml, jsonForScriptTag, slugify } from './escape.js';
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
import { formatBorda, formatMetric, formatRank } from './format.js';
import { RANKING_NOTE } from './markdown.js';
import { predictionsCsv } from './predictions-csv.js';
import { preprocessingHtml } from './preprocessing-html.js';

export const SITE_DATA_SCHEMA_VERSION = 'medprobe.site/v1';

/** PCA patch-map images (PNG files) to show on a model's page, e.g. written by `medprobe viz pca`. */
export interface SitePcaImages {
  model: string;
  images: { file: string; caption: string }[];
}

export interface BuildSiteOptions extends Pick<LeaderboardOptions, 'metric' | 'segmentationMetric'> {
  title?: string;
  /** Catalog cards; models without one render "no card". */
  catalog?: readonly SiteModelCard[];
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

/**
 * Inline scripts are forbidden (only same-origin script files run); figures are inline SVG
 * produced by Plot, whose `<style>` element needs inline styles; images are local files.
 */
export const SITE_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'";

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

const e = escapeHtml;
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function pageHtml(opts: { title: string; root: string; body: string; script?: string; siteTitle: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${e(SITE_CSP)}">
<title>${e(opts.title)}</title>
<link rel="stylesheet" href="${opts.root}assets/site.css">
</head>
<body>
<header class="site"><a class="brand" href="${opts.root}index.html">${e(opts.siteTitle)}</a><nav aria-label="Site"><a href="${opts.root}index.html">Leaderboard</a> · <a href="${opts.root}index.html#models">Models</a> · <a href="${opts.root}index.html#datasets">Datasets</a></nav></header>
<main>
${opts.body}
</main>
${opts.script ?? ''}</body>
</html>
`;
}

function figureHtml(fig: Figure | SkippedFigure, root: string): string {
  if ('skipped' in fig) return `<figure class="fig skipped" id="fig-${e(fig.id)}"><figcaption><strong>${e(fig.title)}</strong>: not drawn — ${e(fig.skipped)}.</figcaption></figure>`;
  return `<figure class="fig" id="fig-${e(fig.id)}">
${fig.svg}
<figcaption><strong>${e(fig.title)}</strong>. ${e(fig.alt)} Download: <a href="${root}figures/${e(fig.id)}.svg" download>SVG</a> · <a href="${root}figures/${e(fig.id)}.png" download>PNG</a></figcaption>
</figure>`;
}

/** Pre-escaped HTML for a facts value. */
interface Html {
  html: string;
}

function factsHtml(rows: [string, string | Html | undefined][]): string {
  const value = (v: string | Html | undefined): string => (v === undefined ? '<span class="muted">not stated</span>' : typeof v === 'string' ? e(v) : v.html);
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${value(v)}</dd>`).join('')}</dl>`;
}

/** A clickable link only for an http(s) URL at the start of the text (no javascript: or data: URLs); text otherwise. */
function linkOrText(text: string | undefined): string | Html | undefined {
  if (text === undefined) return undefined;
  const m = /^https?:\/\/[^\s"'<>]+/.exec(text);
  if (!m) return text;
  return { html: `<a href="${e(m[0])}" rel="noopener noreferrer">${e(m[0])}</a>${e(text.slice(m[0].length))}` };
}

function formatCount(n: number | undefined): string | undefined {
  if (n === undefined) return undefined;
  if (n >= 1e9) return `${+(n / 1e9).toFixed(2)} B (${n})`;
  if (n >= 1e6) return `${+(n / 1e6).toFixed(2)} M (${n})`;
  return String(n);
}

function ciNote(tb: ProtocolTable): string {
  const levels = new Set<number>();
  for (const row of tb.cells) for (const c of row) if (c?.ci) levels.add(c.ci.level);
  if (!levels.size) return 'no confidence intervals';
  return `${[...levels].map((l) => `${+(l * (l <= 1 ? 100 : 1)).toFixed(1)}%`).join(' / ')} bootstrap CI in parentheses`;
}

/** The leaderboard page's payload: one precomputed leaderboard per filter, so ranks always come from the library. */
function viewTables(lb: Leaderboard): unknown[] {
  return lb.protocols.map((tb) => ({
    protocol: tb.protocol,
    metric: tb.metric,
    direction: tb.lowerIsBetter ? 'lower' : 'higher',
    ciNote: ciNote(tb),
    columns: tb.tasks,
    rows: tb.ranking.map((r, m) => ({
      model: r.model,
      position: m + 1,
      meanRank: r.meanRank,
      meanRankText: `${formatRank(r.meanRank)} (${r.tasksRanked})`,
      borda: r.borda,
      bordaText: formatBorda(r.borda),
      cells: tb.cells[m].map((c) =>
        c ? { value: c.value, text: formatMetric(c.value), ...(c.ci ? { ci: `(${formatMetric(c.ci.low)}–${formatMetric(c.ci.high)})` } : {}) } : null,
      ),
    })),
  }));
}

const BASE_MODALITIES = ['X-ray', 'CT', 'MRI'];
const KINDS = ['classification', 'segmentation'];

function resultRowsHtml(caption: string, nameColumn: string, items: { s: StoredResult; href: string; csv: string; label: string; labelHref: string }[], metrics: string[]): string {
  const head = [nameColumn, 'Protocol', ...metrics.map((m) => `${m} (test)`), 'Chosen', 'Raw result', 'Per-sample'];
  return `<div class="table-wrap"><table>
<caption>${e(caption)}</caption>
<thead><tr>${head.map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead>
<tbody>
${items
  .map(({ s, href, csv, label, labelHref }) => {
    const r = s.result;
    const cells = metrics.map((m) => {
      const v = r.metrics[m];
      const ci = r.ci?.[m];
      if (v === undefined || v === null) return `<td class="num missing">—</td>`;
      return `<td class="num">${formatMetric(v)}${ci ? ` <span class="ci">(${formatMetric(ci.low)}–${formatMetric(ci.high)})</span>` : ''}</td>`;
    });
    const chosen = Object.entries(r.selection.chosen)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(', ');
    return `<tr><th scope="row"><a href="${e(labelHref)}">${e(label)}</a></th><td>${e(r.protocol.name)}</td>${cells.join('')}<td>${e(chosen) || '—'}</td><td><a href="${e(href)}">JSON</a></td><td><a href="${e(csv)}">predictions CSV</a></td></tr>`;
  })
  .join('\n')}
</tbody></table></div>`;
}

function metricKeys(list: StoredResult[]): string[] {
  return [...new Set(list.flatMap((s) => Object.keys(s.result.metrics)))].sort(byName);
}

function leakageHtml(l: LeakageSummary, source: string): string {
  const pairs = l.pairs ? Object.entries(l.pairs).map(([k, v]) => `${k}: ${v}`).join(', ') : undefined;
  return `<h3>Leakage check <span class="muted">(${e(source)})</span></h3>${factsHtml([
    ['Method', l.method],
    ['Threshold', l.threshold === undefined ? undefined : String(l.threshold)],
    ['Images checked', l.checked === undefined ? undefined : String(l.checked)],
    ['Cross-split near-duplicates', String(l.crossSplitDuplicates)],
    ['Per split pair', pairs],
    ['Patients in more than one split', l.patientOverlap === undefined ? undefined : String(l.patientOverlap)],
    ['Images not hashed', l.failures === undefined ? undefined : String(l.failures)],
    ['Notes', l.notes],
  ])}`;
}

/** Copy an overlay PNG referenced by a result into the site; refuses paths outside the results folder. */
async function copyOverlay(resultsDir: string, resultFile: string, rel: string, dest: string): Promise<void> {
  const src = path.resolve(resultsDir, path.dirname(resultFile), rel);
  const inside = path.relative(path.resolve(resultsDir), src);
  if (inside.startsWith('..') || path.isAbsolute(inside) || !src.toLowerCase().endsWith('.png'))
    throw new MedprobeError(`overlay ${rel} in ${resultFile} must be a .png inside the results folder`, { file: resultFile, hint: 'write overlays next to the result file and list them by relative path' });
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(src);
  } catch {
    throw new MedprobeError(`overlay ${rel} listed in ${resultFile} not found`, { file: resultFile, hint: 'regenerate the overlays or remove extra.overlays' });
  }
  await writeFileAtomic(dest, bytes);
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
  const cardOf = matchCards(opts.catalog ?? [], [...new Set(stored.map((s) => s.result.model.name))]);
  const catalog = [...cardOf.entries()].map(([name, card]) => ({ ...card, name }));
  const pages: string[] = [];
  const figures: string[] = [];
  const skipped: SkippedFigure[] = [];
  const write = (rel: string, data: string | Uint8Array): Promise<void> => writeFileAtomic(path.join(outDir, rel), data);

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
  const modelNames = [...new Set([...cardOf.keys(), ...stored.map((s) => s.result.model.name)])].sort(byName);
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

  await writeLeaderboardExports(lb, outDir);

  // ---- leaderboard page
  const modalityOfResult = (r: Result): string => normaliseModality(r.dataset.modality ?? infoFor(r.dataset.name)?.modality);
  const presentModalities = [...new Set(stored.map((s) => modalityOfResult(s.result)))];
  const modalities = [...BASE_MODALITIES, ...presentModalities.filter((m) => !BASE_MODALITIES.includes(m)).sort(byName)];
  const views: Record<string, unknown[]> = {};
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
  const indexBody = `<h1>${e(siteTitle)}</h1>
<p class="note">Frozen-feature benchmark results: ${stored.length} result file(s), ${modelNames.length} model(s), ${datasetNames.length} dataset(s). Exports: <a href="leaderboard.md">Markdown</a> · <a href="leaderboard.json">JSON</a> · <a href="leaderboard.csv">CSV</a> · <a href="leaderboard-ranking.csv">ranking CSV</a>.</p>
<form id="filters" aria-label="Filter the leaderboard">
<label>Modality <select name="modality"></select></label>
<label>Task type <select name="kind"></select></label>
<label>Protocol <select name="protocol"></select></label>
</form>
<p id="status" role="status" aria-live="polite"></p>
<div id="tables"></div>
<noscript><p>The interactive tables need JavaScript; the same numbers are in <a href="leaderboard.md">leaderboard.md</a>.</p></noscript>
<p class="note">${e(RANKING_NOTE)} Sort by activating a column header (click, Enter or Space).</p>
<h2>Figures</h2>
<section class="figures">
${topFigures.map((f) => figureHtml(f, '')).join('\n')}
</section>
<h2 id="models">Models</h2>
<ul>${modelNames.map((n) => `<li><a href="${e(modelHref(n, ''))}">${e(n)}</a>${cardOf.has(n) ? '' : ' <span class="muted">(no card)</span>'}</li>`).join('')}</ul>
<h2 id="datasets">Datasets</h2>
<ul>${datasetNames.map((n) => `<li><a href="${e(datasetHref(n, ''))}">${e(n)}</a></li>`).join('')}</ul>`;
  await write(
    'index.html',
    pageHtml({
      title: siteTitle,
      root: '',
      siteTitle,
      body: indexBody,
      script: `<script type="application/json" id="medprobe-data">${jsonForScriptTag(siteData)}</script>\n<script src="assets/site.js"></script>\n`,
    }),
  );
  pages.push('index.html');

  // ---- model pages
  const pcaOf = new Map((opts.pca ?? []).map((p) => [p.model, p.images]));
  for (const name of modelNames) {
    const card = cardOf.get(name);
    const slug = modelSlugs.get(name);
    const mine = stored.filter((s) => s.result.model.name === name);
    const cardHtml = card
      ? `${card.name !== name ? `<p>Catalog entry: <strong>${e(card.name)}</strong>.</p>` : ''}${card.summary ? `<p>${e(card.summary)}</p>` : ''}${factsHtml([
          ['Organisation', card.organisation],
          ['Released', card.releaseDate],
          ['Architecture', card.architecture],
          ['Parameters', formatCount(card.params)],
          ['Pretraining data', card.pretrainingData],
          ['Pretraining images', formatCount(card.pretrainingImages)],
          ['Licence', card.licence],
          ['Openness', card.openness ? `${card.openness.class} (score ${card.openness.score})` : undefined],
          ['Openness rule', card.openness?.rule],
          ['Citation', card.citation],
          ['Link', linkOrText(card.url)],
        ])}`
      : '<p class="muted">No card: this model has no catalog entry, so its architecture, licence and openness are not stated here.</p>';
    const runtime = mine[0] ? `${mine[0].result.model.runtime.name} ${mine[0].result.model.runtime.version}, input ${mine[0].result.model.inputSize} px, feature ${mine[0].result.model.feature}` : undefined;
    const gridFigs: (Figure | SkippedFigure)[] = [];
    for (const s of mine) {
      const pts = gridPointsOf(s.result);
      if (pts.length) gridFigs.push(await emit(gridFigure(`grid-${slug}-${datasetSlugs.get(s.result.dataset.name)}-${slugify(s.result.protocol.name)}`, name, s.result.dataset.name, s.result.selection.metric, pts)));
    }
    const pcaImgs = pcaOf.get(name) ?? [];
    const pcaHtml: string[] = [];
    for (let i = 0; i < pcaImgs.length; i++) {
      const rel = `pca/${slug}-${i + 1}.png`;
      await write(rel, await fs.readFile(pcaImgs[i].file));
      pcaHtml.push(`<figure><img src="../${e(rel)}" alt="${e(`PCA patch map of ${name}: ${pcaImgs[i].caption}`)}"><figcaption>${e(pcaImgs[i].caption)}</figcaption></figure>`);
    }
    const items = mine.map((s) => ({ s, href: `../${rawOf.get(s)!.json}`, csv: `../${rawOf.get(s)!.csv}`, label: s.result.dataset.name, labelHref: datasetHref(s.result.dataset.name, '../') }));
    const body = `<h1>${e(name)}</h1>
<h2>Card</h2>
${cardHtml}
${runtime ? `<p class="muted">As run: ${e(runtime)}.</p>` : ''}
<h2>Results</h2>
${items.length ? resultRowsHtml(`Every result of ${name}; bootstrap CI in parentheses where computed.`, 'Dataset', items, metricKeys(mine)) : '<p class="muted">No results for this model yet.</p>'}
${gridFigs.length ? `<h2>Linear-probe grids</h2><section class="figures">${gridFigs.map((f) => figureHtml(f, '../')).join('\n')}</section>` : ''}
${pcaHtml.length ? `<h2>PCA patch maps</h2><p class="muted">First three principal components of patch tokens as RGB; background removed by thresholding the first component.</p><div class="pca">${pcaHtml.join('')}</div>` : ''}`;
    await write(`models/${slug}.html`, pageHtml({ title: `${name} — ${siteTitle}`, root: '../', siteTitle, body }));
    pages.push(`models/${slug}.html`);
  }

  // ---- dataset pages
  for (const name of datasetNames) {
    const slug = datasetSlugs.get(name);
    const mine = stored.filter((s) => s.result.dataset.name === name);
    const first = mine[0].result;
    const info = infoFor(name);
    const splitSizes = Object.entries(first.dataset.splitSizes).map(([k, v]) => `${k} ${v}`).join(' · ');
    // Each distinct recipe once (models with different input sizes get different recipes).
    const preprocessing = [...new Map(mine.map((s) => [JSON.stringify(s.result.dataset.preprocessing), s.result.dataset.preprocessing])).values()];
    const leakages: string[] = [];
    if (info?.leakage) leakages.push(leakageHtml(info.leakage, 'dataset file'));
    for (const s of mine) {
      const l = leakageOf(s.result, s.file);
      if (l) leakages.push(leakageHtml(l, `${s.result.model.name} · ${s.result.protocol.name}`));
    }
    const curves: FewShotCurve[] = [];
    for (const s of mine) {
      for (const series of fewShotOf(s.result, s.file, opts.metric ?? 'auroc')) curves.push({ model: s.result.model.name, protocol: s.result.protocol.name, series });
    }
    const fewShot = curves.length ? await emit(fewShotFigure(`few-shot-${slug}`, name, curves)) : undefined;
    const overlayHtml: string[] = [];
    for (const s of mine) {
      const list = overlaysOf(s.result, s.file);
      for (let i = 0; i < list.length; i++) {
        const rel = `overlays/${modelSlugs.get(s.result.model.name)}/${slug}/${slugify(s.result.protocol.name)}-${i + 1}.png`;
        await copyOverlay(resultsDir, s.file, list[i], path.join(outDir, rel));
        overlayHtml.push(
          `<figure><img src="../${e(rel)}" alt="${e(`Segmentation overlay ${i + 1} of ${list.length}: ${s.result.model.name}, ${s.result.protocol.name}, on ${name} (${path.basename(list[i])})`)}"><figcaption>${e(`${s.result.model.name} · ${path.basename(list[i])}`)}</figcaption></figure>`,
        );
      }
    }
    const items = mine.map((s) => ({ s, href: `../${rawOf.get(s)!.json}`, csv: `../${rawOf.get(s)!.csv}`, label: s.result.model.name, labelHref: modelHref(s.result.model.name, '../') }));
    const body = `<h1>${e(name)}</h1>
${info?.description ? `<p>${e(info.description)}</p>` : ''}
${factsHtml([
  ['Task', `${taskKindOf(first)} · ${first.dataset.task.type}`],
  ['Labels', first.dataset.task.labels.join(', ')],
  ['Modality', modalityOfResult(first)],
  ['Dimensions', `${first.dataset.dims}D`],
  ['Split sizes', splitSizes],
  ['Licence', info?.licence],
  ['Citation', info?.citation],
  ['Link', linkOrText(info?.url)],
])}
<h2>Preprocessing</h2>
${preprocessing.map(preprocessingHtml).join('\n')}
${leakages.length ? `<h2>Leakage</h2>${leakages.join('\n')}` : '<h2>Leakage</h2><p class="muted">No leakage check recorded for this dataset.</p>'}
<h2>Results</h2>
${resultRowsHtml(`Every result on ${name}; bootstrap CI in parentheses where computed.`, 'Model', items, metricKeys(mine))}
${fewShot ? `<h2>Few-shot</h2><section class="figures">${figureHtml(fewShot, '../')}</section>` : ''}
${overlayHtml.length ? `<h2>Segmentation overlays</h2><div class="overlays">${overlayHtml.join('')}</div>` : ''}`;
    await write(`datasets/${slug}.html`, pageHtml({ title: `${name} — ${siteTitle}`, root: '../', siteTitle, body }));
    pages.push(`datasets/${slug}.html`);
  }

  return { outDir, pages, figures, skipped };
}
