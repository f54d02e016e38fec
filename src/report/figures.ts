import * as Plot from '@observablehq/plot';
import { JSDOM } from 'jsdom';
import sharp from 'sharp';
import type { Leaderboard, ProtocolTable } from '../results/leaderboard.js';
import { metricSpec } from '../metrics/names.js';
import { formatCount, formatParams, formatParamValue } from './format.js';
import type { SiteCatalogEntry } from './catalog.js';
import type { FewShotSeries, GridPoint } from './figure-inputs.js';

/**
 * Figures are drawn once at build time with Observable Plot in a jsdom document and shipped as
 * static SVG (inline in the page and as a download) plus a PNG rasterised by sharp. The page
 * needs no plotting code, no CDN and no script to show them.
 */
export interface Figure {
  /** File stem, unique within the site. */
  id: string;
  title: string;
  /** Text alternative: what the figure shows, every number included, for screen readers (the SVG's `<desc>`). */
  alt: string;
  /** One or two sentences under the figure: how to read it, not the numbers again. */
  caption: string;
  /** Standalone SVG document (with xmlns, `<title>` and `<desc>`). */
  svg: string;
}

/** A figure that could not be drawn from the results at hand, and why: shown on the page instead. */
export interface SkippedFigure {
  id: string;
  title: string;
  skipped: string;
}

let dom: JSDOM | undefined;
function plotDocument(): Document {
  dom ??= new JSDOM('<!doctype html><html><body></body></html>');
  return dom.window.document;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Figures are drawn at the width they are shown at (the site's figure column), in a 12 px font. */
const WIDTH = 640;
const FONT_PX = 12;
const STYLE = { fontSize: `${FONT_PX}px`, background: 'white' };

/** One legend item: a coloured line, dot or band swatch and its label. */
interface LegendEntry {
  label: string;
  color: string;
  swatch: 'line' | 'dot';
}

/**
 * A legend drawn inside the SVG, under the plot, so the downloaded SVG and PNG carry it too
 * (Plot's own legends are HTML beside the SVG). Entries flow left to right and wrap; the text
 * width is estimated generously (0.62 em per character) so labels never touch.
 */
function appendLegend(document: Document, svg: Element, entries: LegendEntry[]): void {
  if (!entries.length) return;
  const [, , w, h] = (svg.getAttribute('viewBox') ?? `0 0 ${WIDTH} 400`).split(/\s+/).map(Number);
  const rowH = FONT_PX + 8;
  const g = document.createElementNS(SVG_NS, 'g');
  g.setAttribute('aria-label', 'legend');
  g.setAttribute('font-size', String(FONT_PX));
  g.setAttribute('text-anchor', 'start');
  let x = 12;
  let y = h + 6;
  for (const e of entries) {
    const itemW = 26 + Math.ceil(e.label.length * FONT_PX * 0.62) + 18;
    if (x > 12 && x + itemW > w - 8) {
      x = 12;
      y += rowH;
    }
    const mid = y + rowH / 2;
    const sw = document.createElementNS(SVG_NS, e.swatch === 'line' ? 'line' : 'circle');
    if (e.swatch === 'line') {
      for (const [k, v] of Object.entries({ x1: x, x2: x + 20, y1: mid, y2: mid, stroke: e.color, 'stroke-width': 2.5 })) sw.setAttribute(k, String(v));
    } else {
      for (const [k, v] of Object.entries({ cx: x + 10, cy: mid, r: 4.5, fill: e.color })) sw.setAttribute(k, String(v));
    }
    const t = document.createElementNS(SVG_NS, 'text');
    t.setAttribute('x', String(x + 26));
    t.setAttribute('y', String(mid));
    t.setAttribute('dy', '0.35em');
    t.setAttribute('fill', 'currentColor');
    t.textContent = e.label;
    g.append(sw, t);
    x += itemW;
  }
  const total = y + rowH + 6;
  svg.appendChild(g);
  svg.setAttribute('height', String(total));
  svg.setAttribute('viewBox', `0 0 ${w} ${total}`);
}

/** Plot an SVG, add an in-SVG legend for its colour scale, the accessible name/description, and serialise it as XML. */
function render(id: string, title: string, caption: string, alt: string, options: Plot.PlotOptions, legend?: LegendEntry['swatch']): Figure {
  const document = plotDocument();
  const node = Plot.plot({ width: WIDTH, style: STYLE, ...options, document }) as unknown as Element & { scale(name: string): { domain: unknown[]; apply(v: unknown): string } | undefined };
  if (node.tagName.toLowerCase() !== 'svg') throw new Error(`figure ${id}: Plot returned <${node.tagName}>, expected a bare <svg> (legends are drawn by appendLegend)`);
  if (legend) {
    const color = node.scale('color');
    if (color) appendLegend(document, node, color.domain.map((d) => ({ label: String(d), color: color.apply(d), swatch: legend })));
  }
  const t = document.createElementNS(SVG_NS, 'title');
  t.setAttribute('id', `${id}-title`);
  t.textContent = title;
  const d = document.createElementNS(SVG_NS, 'desc');
  d.setAttribute('id', `${id}-desc`);
  d.textContent = alt;
  node.insertBefore(d, node.firstChild);
  node.insertBefore(t, node.firstChild);
  node.setAttribute('role', 'img');
  node.setAttribute('aria-labelledby', `${id}-title`);
  node.setAttribute('aria-describedby', `${id}-desc`);
  const svg = new (dom!.window.XMLSerializer)().serializeToString(node);
  return { id, title, caption, alt, svg };
}

/** PNG of a figure at 2× for sharp displays; white background like the SVG's. */
export async function figurePng(fig: Figure): Promise<Buffer> {
  return sharp(Buffer.from(fig.svg), { density: 144 }).flatten({ background: '#ffffff' }).png().toBuffer();
}

/**
 * A log axis whose every tick is labelled: Plot's log scales blank "crowded" labels (d3's log
 * tickFormat drops 8, 5e-4…), so values are placed as log10 on a linear scale and ticks are named
 * in the original units.
 */
function log10Axis(values: readonly number[], label: string, format: (v: number) => string): Plot.ScaleOptions {
  const ticks = [...new Set(values)].sort((a, b) => a - b);
  return { type: 'linear', label, ticks: ticks.map(Math.log10), tickFormat: (t: number) => format(10 ** t) };
}

/** `AUROC`, `ACC`…: the vocabulary's label, the raw key for metrics outside it. */
const metricLabel = (key: string): string => metricSpec(key)?.label ?? key;

/** Points that coincide share one label (`a, b`), so names at the same spot never overprint. */
function mergedLabels<T extends { label: string }>(pts: readonly T[], key: (p: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const p of pts) {
    const k = key(p);
    const seen = byKey.get(k);
    byKey.set(k, seen ? { ...seen, label: `${seen.label}, ${p.label}` } : { ...p });
  }
  return [...byKey.values()];
}

/** Mean rank per model over the tasks of one protocol table (null when it has none there). */
function meanRanks(tb: ProtocolTable | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!tb) return out;
  tb.models.forEach((model, m) => {
    const ranks = tb.cells[m].map((c) => c?.rank).filter((r): r is number => typeof r === 'number');
    if (ranks.length) out.set(model, ranks.reduce((a, b) => a + b, 0) / ranks.length);
  });
  return out;
}

/** The study's protocols for Fig. 1: the linear probe on classification, the U-Net decoder on segmentation. */
export const CROSS_TASK_PROTOCOLS = { classification: 'linear', segmentation: 'seg-unet' } as const;

/**
 * Fig. 1 of the reference study: each model's mean rank with the U-Net decoder on segmentation
 * (x) against its mean rank with the linear probe on classification (y), 1 = best. A model good
 * at both sits near the origin; the diagonal marks equal rank on both.
 */
export function crossTaskRankFigure(lb: Leaderboard): Figure | SkippedFigure {
  const id = 'cross-task-rank';
  const title = 'Fig. 1: classification rank vs segmentation rank';
  const cls = meanRanks(lb.protocols.find((t) => t.protocol === CROSS_TASK_PROTOCOLS.classification && t.tasks.some((k) => k.kind === 'classification')));
  const seg = meanRanks(lb.protocols.find((t) => t.protocol === CROSS_TASK_PROTOCOLS.segmentation));
  const pts = [...cls.keys()].filter((m) => seg.has(m)).map((m) => ({ label: m, segmentation: seg.get(m)!, classification: cls.get(m)! }));
  if (pts.length === 0)
    return { id, title, skipped: `needs models with both ${CROSS_TASK_PROTOCOLS.classification} (classification) and ${CROSS_TASK_PROTOCOLS.segmentation} (segmentation) results` };
  // Whole ranks bound the axes, so a mean rank of 2.5 sits under a tick of 3, not past the last one.
  const max = Math.ceil(Math.max(2, ...pts.flatMap((p) => [p.segmentation, p.classification])));
  const alt =
    `Scatter of ${pts.length} model(s): x is the mean rank with the U-Net decoder over segmentation datasets, y the mean rank with the linear probe over classification datasets, 1 = best. ` +
    pts.map((p) => `${p.label}: segmentation ${p.segmentation.toFixed(2)}, classification ${p.classification.toFixed(2)}`).join('; ') + '.';
  const ticks = Array.from({ length: Math.floor(max) }, (_, i) => i + 1);
  return render(id, title, 'Mean rank per model, 1 = best: U-Net decoder on segmentation (x) against the linear probe on classification (y), as in the study’s Fig. 1. The dashed diagonal is equal rank on both.', alt, {
    height: 420,
    marginLeft: 56,
    marginRight: 24,
    marginBottom: 44,
    marginTop: 36,
    grid: true,
    inset: 90,
    x: { domain: [1, max], ticks, tickFormat: 'd', label: 'Mean rank, U-Net segmentation (1 = best) →' },
    y: { domain: [1, max], ticks, tickFormat: 'd', label: '↑ Mean rank, linear-probe classification (1 = best)' },
    marks: [
      Plot.line([[1, 1], [max, max]], { stroke: '#999', strokeDasharray: '4 4' }),
      Plot.dot(pts, { x: 'segmentation', y: 'classification', r: 6, fill: 'steelblue' }),
      Plot.text(mergedLabels(pts, (p) => `${p.segmentation}|${p.classification}`), { x: 'segmentation', y: 'classification', text: 'label', dy: -14, lineWidth: 16 }),
    ],
  });
}

export interface ScalingPoint {
  model: string;
  protocol: string;
  score: number;
  tasks: number;
  params?: number;
  pretrainingImages?: number;
}

/** Per (model, protocol): the mean of the table metric over the tasks the model has values for. */
export function scalingPoints(lb: Leaderboard, cards: readonly SiteCatalogEntry[]): ScalingPoint[] {
  const cardOf = new Map(cards.map((c) => [c.name, c]));
  const out: ScalingPoint[] = [];
  for (const tb of lb.protocols)
    tb.models.forEach((model, m) => {
      const vals = tb.cells[m].map((c) => c?.value).filter((v): v is number => typeof v === 'number');
      if (!vals.length) return;
      const card = cardOf.get(model);
      out.push({
        model,
        protocol: `${tb.protocol} (${tb.metric})`,
        score: vals.reduce((a, b) => a + b, 0) / vals.length,
        tasks: vals.length,
        ...(card?.params ? { params: card.params } : {}),
        ...(card?.pretrainingImages ? { pretrainingImages: card.pretrainingImages } : {}),
      });
    });
  return out;
}

/**
 * Score vs a catalog quantity on a log axis: one line per protocol through the models sorted by
 * that quantity. Drawn only when the models span at least two values: with one, there is no trend to show.
 */
export function scalingFigure(lb: Leaderboard, cards: readonly SiteCatalogEntry[], by: 'params' | 'pretrainingImages'): Figure | SkippedFigure {
  const id = `scaling-${by === 'params' ? 'params' : 'pretraining-images'}`;
  const what = by === 'params' ? 'parameters' : 'pretraining images';
  const title = `Score vs ${what}`;
  const pts = scalingPoints(lb, cards)
    .filter((p) => p[by] !== undefined)
    .sort((a, b) => a[by]! - b[by]! || (a.model < b.model ? -1 : 1));
  if (pts.length === 0) return { id, title, skipped: `needs catalog entries that state ${what} for models with results` };
  const xs = [...new Set(pts.map((p) => p[by]!))];
  const models = [...new Set(pts.map((p) => p.model))];
  if (xs.length < 2)
    return { id, title, skipped: `the ${models.length} model(s) with results and a catalog entry all have ${formatCount(xs[0])} ${what}: a scaling trend needs at least two different values` };
  const alt =
    `Mean test score over each model's tasks against its number of ${what} (log scale), one line per protocol. ` +
    pts.map((p) => `${p.model}, ${p.protocol}: ${p.score.toFixed(3)} over ${p.tasks} task(s) at ${formatCount(p[by]!)}`).join('; ') + '.';
  // x as log10 on a linear scale, ticked at the models' own values only (Plot's log axis adds
  // unlabelled minor grid lines and 1-2-5 ticks between two models). Each model is named once,
  // above its highest dot: a name per protocol piled several copies on nearby scores.
  const drawn = pts.map((p) => ({ ...p, x: Math.log10(p[by]!) }));
  const top = new Map<string, (typeof drawn)[number]>();
  for (const p of drawn) {
    const best = top.get(p.model);
    if (!best || p.score > best.score) top.set(p.model, p);
  }
  const labels = mergedLabels(
    [...top.values()].map((p) => ({ ...p, label: p.model })),
    (p) => `${p[by]}|${p.score.toFixed(3)}`,
  );
  return render(
    id,
    title,
    `Mean test score over each model's tasks against its ${what} (log scale); one line per protocol, one dot per model.`,
    alt,
    {
      height: 380,
      marginLeft: 56,
      marginRight: 24,
      marginBottom: 44,
      marginTop: 36,
      grid: true,
      insetLeft: 90,
      insetRight: 90,
      insetTop: 24,
      insetBottom: 24,
      x: log10Axis(xs, `${what[0].toUpperCase()}${what.slice(1)} (log) →`, formatCount),
      y: { label: '↑ Mean test score' },
      color: { type: 'categorical' },
      marks: [
        Plot.line(drawn, { x: 'x', y: 'score', z: 'protocol', stroke: 'protocol', strokeWidth: 2 }),
        Plot.dot(drawn, { x: 'x', y: 'score', fill: 'protocol', r: 5 }),
        Plot.text(labels, { x: 'x', y: 'score', text: 'label', dy: -12, lineWidth: 14 }),
      ],
    },
    'line',
  );
}

export interface FewShotCurve {
  model: string;
  protocol: string;
  series: FewShotSeries;
}

/** Few-shot curves on one dataset: mean test metric vs shots per class (log), ±1 sd band, a legend entry per curve. */
export function fewShotFigure(id: string, dataset: string, curves: readonly FewShotCurve[]): Figure {
  const nameOf = (c: FewShotCurve): string => [c.model, c.series.label].filter(Boolean).join(' · ');
  // Name a curve by model alone when that is unambiguous.
  const short = new Set(curves.map((c) => c.model)).size === curves.length;
  const rows = curves.flatMap((c) =>
    c.series.points.map((p) => {
      // The band stays inside the metric's range (an AUROC ± sd never draws above 1).
      const [min, max] = metricSpec(c.series.metric)?.range ?? [-Infinity, Infinity];
      return { series: short ? c.model : nameOf(c), shots: p.shots, logShots: Math.log10(p.shots), mean: p.mean, lo: Math.max(min, p.mean - (p.sd ?? 0)), hi: Math.min(max, p.mean + (p.sd ?? 0)) };
    }),
  );
  rows.sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : a.shots - b.shots));
  const metrics = [...new Set(curves.map((c) => metricLabel(c.series.metric)))].join(', ');
  const shots = [...new Set(rows.map((r) => r.shots))].sort((a, b) => a - b);
  const title = `Few-shot ${metrics} on ${dataset}`;
  const alt =
    `Mean test ${metrics} against labelled examples per class (log scale) with a ±1 sd band over random support sets, one line per curve. ` +
    curves
      .map((c) => `${short ? c.model : nameOf(c)}: ${c.series.points.map((p) => `${p.shots}-shot ${p.mean.toFixed(3)}${p.sd === null ? '' : `±${p.sd.toFixed(3)}`}`).join(', ')}`)
      .join('; ') + '.';
  return render(
    id,
    title,
    `Mean test ${metrics} against labelled examples per class (log scale); bands are ±1 sd over random support sets.`,
    alt,
    {
      height: 380,
      marginLeft: 56,
      marginRight: 24,
      marginBottom: 44,
      grid: true,
      inset: 12,
      x: log10Axis(shots, 'Examples per class (log) →', (v) => String(Math.round(v))),
      y: { label: `↑ Test ${metrics}` },
      color: { type: 'categorical' },
      marks: [
        Plot.areaY(rows, { x: 'logShots', y1: 'lo', y2: 'hi', z: 'series', fill: 'series', fillOpacity: 0.15 }),
        Plot.line(rows, { x: 'logShots', y: 'mean', z: 'series', stroke: 'series', strokeWidth: 2 }),
        Plot.dot(rows, { x: 'logShots', y: 'mean', fill: 'series', r: 3.5 }),
      ],
    },
    'line',
  );
}

/**
 * Linear-probe grid for one result: validation score vs learning rate (log), one line per head
 * family. The circle marks the chosen candidate (the highest point when none is marked);
 * `rule` says why the chosen head may sit below the highest point.
 */
export function gridFigure(id: string, model: string, dataset: string, selectionKey: string, points: readonly GridPoint[], rule?: string): Figure {
  const selectionMetric = metricLabel(selectionKey);
  // Parameters shared by every candidate name no line; they go to the caption once.
  const keys = [...new Set(points.flatMap((p) => Object.keys(p.params)))].sort();
  const varies = (k: string): boolean => new Set(points.map((p) => JSON.stringify(p.params[k]))).size > 1;
  const pick = (params: Record<string, unknown>, ks: string[]): Record<string, unknown> => Object.fromEntries(ks.filter((k) => k in params).map((k) => [k, params[k]]));
  const shared = formatParams(pick(points[0].params, keys.filter((k) => !varies(k))));
  // More than six lines do not read (4 feature sets × 5 weight decays = 20): keep one line per
  // feature set and plot, at each lr, the best over the other parameters (weight decay).
  let lineKeys = keys.filter(varies);
  const familyCount = (ks: string[]): number => new Set(points.map((p) => JSON.stringify(pick(p.params, ks)))).size;
  const collapsed = familyCount(lineKeys) > 6 ? lineKeys.filter((k) => k !== 'features') : [];
  if (collapsed.length) lineKeys = lineKeys.filter((k) => k === 'features');
  const bestOf = new Map<string, GridPoint & { family: string; logLr: number }>();
  for (const p of points) {
    const row = { ...p, family: formatParams(pick(p.params, lineKeys)) || 'every candidate', logLr: Math.log10(p.lr) };
    const key = `${row.family}\u0000${p.lr}`;
    const have = bestOf.get(key);
    if (!have || row.score > have.score) bestOf.set(key, row);
  }
  const rows = [...bestOf.values()].sort((a, b) => (a.family < b.family ? -1 : a.family > b.family ? 1 : a.lr - b.lr));
  const collapsedNote = collapsed.length ? `; each point is the best over ${collapsed.map((k) => formatParams({ [k]: 0 }).replace(/ 0$/, '')).join(' and ')} at that lr` : '';
  const families = [...new Set(rows.map((r) => r.family))];
  const lrs = [...new Set(rows.map((r) => r.lr))].sort((a, b) => a - b);
  const title = `Linear-probe grid: ${model} on ${dataset}`;
  const best = rows.reduce((a, b) => (b.score > a.score ? b : a));
  const marked = points.find((p) => p.chosen);
  const chosen = marked ? { ...marked, family: formatParams(pick(marked.params, lineKeys)) || 'every candidate', logLr: Math.log10(marked.lr) } : best;
  const belowBest = chosen.score < best.score ? `; not the highest point, because ${rule ?? 'the protocol did not choose on this score alone'}` : '';
  const alt =
    `Validation ${selectionMetric} against learning rate (log scale) for ${families.length} head famil${families.length === 1 ? 'y' : 'ies'} (${families.join('; ')}); ` +
    `${rows.length} candidates, best ${best.score.toFixed(3)} at lr ${formatParamValue(best.lr)} with ${best.family}; chosen ${chosen.score.toFixed(3)} at lr ${formatParamValue(chosen.lr)} with ${chosen.family}.`;
  return render(
    id,
    title,
    `Validation ${selectionMetric} of every candidate head against its learning rate (log scale)${families.length > 1 ? ', one line per head family' : ''}${collapsedNote}${shared ? `; every candidate: ${shared}` : ''}. Circled: the chosen head, ${chosen.score.toFixed(3)} at lr ${formatParamValue(chosen.lr)}${collapsed.length ? ` (${formatParams(pick(chosen.params, collapsed))})` : ''}${belowBest}.`,
    alt,
    {
      height: 360,
      marginLeft: 56,
      marginRight: 24,
      marginBottom: 44,
      grid: true,
      inset: 12,
      x: log10Axis(lrs, 'Learning rate (log) →', formatParamValue),
      y: { label: `↑ Validation ${selectionMetric}` },
      color: { type: 'categorical' },
      marks: [
        Plot.line(rows, { x: 'logLr', y: 'score', z: 'family', stroke: 'family', strokeWidth: 2 }),
        Plot.dot(rows, { x: 'logLr', y: 'score', fill: 'family', r: 3.5, title: (d: GridPoint) => `${d.family}\nlr ${formatParamValue(d.lr)}: ${d.score.toFixed(4)}` }),
        Plot.dot([chosen], { x: 'logLr', y: 'score', r: 7, stroke: 'currentColor', strokeWidth: 1.5 }),
      ],
    },
    families.length > 1 ? 'line' : undefined,
  );
}
