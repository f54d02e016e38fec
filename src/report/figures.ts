import * as Plot from '@observablehq/plot';
import { JSDOM } from 'jsdom';
import sharp from 'sharp';
import type { Leaderboard } from '../results/leaderboard.js';
import type { SiteModelCard } from './catalog.js';
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

/** Plot an SVG, then give it the accessible name/description and serialise it as XML (valid standalone). */
function render(id: string, title: string, caption: string, alt: string, options: Plot.PlotOptions): Figure {
  const document = plotDocument();
  const node = Plot.plot({ ...options, document }) as unknown as Element;
  if (node.tagName.toLowerCase() !== 'svg') throw new Error(`figure ${id}: Plot returned <${node.tagName}>, expected a bare <svg> (no legends)`);
  const ns = 'http://www.w3.org/2000/svg';
  const t = document.createElementNS(ns, 'title');
  t.setAttribute('id', `${id}-title`);
  t.textContent = title;
  const d = document.createElementNS(ns, 'desc');
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

const WIDTH = 640;

/** Average rank on segmentation vs classification tasks, one dot per model that has both. */
export function crossTaskRankFigure(lb: Leaderboard): Figure | SkippedFigure {
  const id = 'cross-task-rank';
  const title = 'Cross-task rank: segmentation vs classification';
  const pts = lb.crossTask.filter((c) => c.classification !== null && c.segmentation !== null);
  if (pts.length === 0) return { id, title, skipped: 'needs at least one model with both classification and segmentation results' };
  const alt =
    `Scatter of ${pts.length} model(s): x is the mean rank over classification tasks, y the mean rank over segmentation tasks, 1 = best. ` +
    pts.map((p) => `${p.model}: ${p.classification!.toFixed(2)} vs ${p.segmentation!.toFixed(2)}`).join('; ') + '.';
  return render(id, title, 'One dot per model; 1 = best rank.', alt, {
    width: WIDTH,
    height: 400,
    marginRight: 180,
    grid: true,
    inset: 20,
    x: { label: 'Mean rank, classification (1 = best) →' },
    y: { label: '↑ Mean rank, segmentation (1 = best)' },
    marks: [
      Plot.dot(pts, { x: 'classification', y: 'segmentation', r: 5, fill: 'steelblue' }),
      Plot.text(pts, { x: 'classification', y: 'segmentation', text: 'model', dx: 8, textAnchor: 'start' }),
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
export function scalingPoints(lb: Leaderboard, cards: readonly SiteModelCard[]): ScalingPoint[] {
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

/** Score vs a catalog quantity on a log axis, faceted by protocol. */
export function scalingFigure(lb: Leaderboard, cards: readonly SiteModelCard[], by: 'params' | 'pretrainingImages'): Figure | SkippedFigure {
  const id = `scaling-${by === 'params' ? 'params' : 'pretraining-images'}`;
  const what = by === 'params' ? 'parameters' : 'pretraining images';
  const title = `Score vs ${what}`;
  const pts = scalingPoints(lb, cards).filter((p) => p[by] !== undefined);
  if (pts.length === 0) return { id, title, skipped: `needs catalog cards that state ${what} for models with results` };
  const alt =
    `Mean test score over each model's tasks against its number of ${what} (log scale), one panel per protocol. ` +
    pts.map((p) => `${p.model}, ${p.protocol}: ${p.score.toFixed(3)} over ${p.tasks} task(s) at ${p[by]!.toExponential(2)}`).join('; ') + '.';
  const protocols = new Set(pts.map((p) => p.protocol)).size;
  return render(id, title, `Mean test score over each model's tasks against its ${what} (log scale), one panel per protocol.`, alt, {
    width: WIDTH,
    height: Math.max(260, 200 * protocols),
    marginRight: 180,
    marginLeft: 60,
    grid: true,
    inset: 20,
    x: { type: 'log', label: `${what[0].toUpperCase()}${what.slice(1)} (log) →` },
    y: { label: '↑ Mean test score' },
    fy: { label: null },
    marks: [
      Plot.frame({ stroke: '#ccc' }),
      Plot.dot(pts, { x: by, y: 'score', fy: 'protocol', r: 5, fill: 'steelblue' }),
      Plot.text(pts, { x: by, y: 'score', fy: 'protocol', text: 'model', dx: 8, textAnchor: 'start' }),
    ],
  });
}

export interface FewShotCurve {
  model: string;
  protocol: string;
  series: FewShotSeries;
}

/** Few-shot curves on one dataset: mean test metric vs shots per class (log), ±1 sd band. */
export function fewShotFigure(id: string, dataset: string, curves: readonly FewShotCurve[]): Figure {
  const nameOf = (c: FewShotCurve): string => [c.model, c.protocol, c.series.label].filter(Boolean).join(' · ');
  // Name a curve by model alone when that is unambiguous.
  const short = new Set(curves.map((c) => c.model)).size === curves.length;
  const rows = curves.flatMap((c) =>
    c.series.points.map((p) => ({ series: short ? c.model : nameOf(c), shots: p.shots, mean: p.mean, lo: p.mean - (p.sd ?? 0), hi: p.mean + (p.sd ?? 0) })),
  );
  rows.sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : a.shots - b.shots));
  const metrics = [...new Set(curves.map((c) => c.series.metric))].join(', ');
  const title = `Few-shot ${metrics} on ${dataset}`;
  const alt =
    `Mean test ${metrics} against labelled examples per class (log scale) with a ±1 sd band over random support sets, one line per model. ` +
    curves
      .map((c) => `${short ? c.model : nameOf(c)}: ${c.series.points.map((p) => `${p.shots}-shot ${p.mean.toFixed(3)}${p.sd === null ? '' : `±${p.sd.toFixed(3)}`}`).join(', ')}`)
      .join('; ') + '.';
  return render(id, title, 'Mean test score against labelled examples per class (log scale); the band is ±1 sd over random support sets.', alt, {
    width: WIDTH,
    height: 400,
    marginRight: 160,
    grid: true,
    x: { type: 'log', label: 'Examples per class (log) →' },
    y: { label: `↑ Test ${metrics}` },
    color: { type: 'categorical' },
    marks: [
      Plot.areaY(rows, { x: 'shots', y1: 'lo', y2: 'hi', z: 'series', fill: 'series', fillOpacity: 0.18 }),
      Plot.line(rows, { x: 'shots', y: 'mean', z: 'series', stroke: 'series' }),
      Plot.dot(rows, { x: 'shots', y: 'mean', fill: 'series', r: 3 }),
      Plot.text(rows, Plot.selectLast({ x: 'shots', y: 'mean', z: 'series', text: 'series', dx: 6, textAnchor: 'start' })),
    ],
  });
}

/** Linear-probe grid for one result: validation score vs learning rate (log), one line per head family. */
export function gridFigure(id: string, model: string, dataset: string, selectionMetric: string, points: readonly GridPoint[]): Figure {
  const rows = [...points].sort((a, b) => (a.family < b.family ? -1 : a.family > b.family ? 1 : a.lr - b.lr));
  const families = [...new Set(rows.map((r) => r.family))];
  const title = `Linear-probe grid: ${model} on ${dataset}`;
  const best = rows.reduce((a, b) => (b.score > a.score ? b : a));
  const alt =
    `Validation ${selectionMetric} against learning rate (log scale) for ${families.length} head famil${families.length === 1 ? 'y' : 'ies'} (${families.join('; ')}); ` +
    `${rows.length} candidates, best ${best.score.toFixed(3)} at lr ${best.lr} with ${best.family}.`;
  return render(id, title, 'Validation score of each candidate against learning rate (log scale), one line per head family.', alt, {
    width: WIDTH,
    height: 380,
    marginRight: 10,
    grid: true,
    x: { type: 'log', label: 'Learning rate (log) →' },
    y: { label: `↑ Validation ${selectionMetric}` },
    color: { type: 'categorical' },
    marks: [
      Plot.line(rows, { x: 'lr', y: 'score', z: 'family', stroke: 'family' }),
      Plot.dot(rows, { x: 'lr', y: 'score', fill: 'family', r: 3, title: (d: GridPoint) => `${d.family}\nlr ${d.lr}: ${d.score.toFixed(4)}` }),
      Plot.text(rows, Plot.selectLast({ x: 'lr', y: 'score', z: 'family', text: 'family', dy: -8, textAnchor: 'end', fontSize: 9 })),
    ],
  });
}
