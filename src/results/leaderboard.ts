import { metricSpec, parseMetricName } from '../metrics/names.js';
import { REGISTRY } from '../data/registry/index.js';
import { kindMainScore, mainScoreOf } from '../protocols/registry.js';
import { MedprobeError } from '../util/errors.js';
import type { Result } from './schema.js';

/**
 * The leaderboard: for each protocol a models × tasks table of one metric (± CI), plus an
 * aggregate ranking. Shared by `medprobe leaderboard` (Markdown/JSON/CSV) and the static site,
 * so both always show the same numbers.
 *
 * Ranking rules (also printed under every Markdown table):
 * - Per task, models that have a value are ranked 1 = best; tied values share the average of
 *   the ranks they span (1, 2.5, 2.5, 4). Exact equality only: no tolerance.
 * - A missing cell (no result file, or the metric is null) is missing, never 0: the model is
 *   left out of that task's ranking, so it neither gains nor loses there.
 * - Mean rank = mean of the model's ranks over the tasks it was ranked on (`tasksRanked` says
 *   how many); null when it was ranked on none.
 * - Borda count = Σ over tasks of (models ranked on the task − the model's rank): the number of
 *   models it beats there, ties counting half. A missing cell earns no points.
 * - Order: mean rank ascending, then Borda descending, then name.
 */
export const LEADERBOARD_SCHEMA_VERSION = 'medprobe.leaderboard/v1';

export type TaskKind = 'classification' | 'segmentation';
/** Modality groups the site filters on; anything unrecognised keeps its own name. */
export type ModalityGroup = 'X-ray' | 'CT' | 'MRI' | string;

export interface LeaderboardTask {
  dataset: string;
  /** Normalised modality ('X-ray', 'CT', 'MRI', the raw string otherwise, 'unknown' when absent). */
  modality: ModalityGroup;
  kind: TaskKind;
  dims: 2 | 3;
}

export interface LeaderboardCell {
  value: number | null;
  ci?: { low: number; high: number; level: number };
  /** Rank of this cell within its task (null when the value is missing). */
  rank: number | null;
}

export interface RankingRow {
  model: string;
  meanRank: number | null;
  borda: number;
  tasksRanked: number;
}

export interface ProtocolTable {
  protocol: string;
  metric: string;
  lowerIsBetter: boolean;
  /**
   * What the protocol's single number is when it summarises a curve (few-shot: `kNN at 64 shots
   * per class, mean of 5 tries`), from its results' `selection.chosen.headline`; absent otherwise.
   */
  headline?: string;
  /** Rows, in ranking order. */
  models: string[];
  tasks: LeaderboardTask[];
  /** cells[modelIndex][taskIndex]; null where no result exists for the pair. */
  cells: (LeaderboardCell | null)[][];
  ranking: RankingRow[];
}

/** Average rank per task kind across every protocol table, for the cross-task scatter. */
export interface CrossTaskRank {
  model: string;
  classification: number | null;
  segmentation: number | null;
}

export interface Leaderboard {
  schema: typeof LEADERBOARD_SCHEMA_VERSION;
  /** Metric of classification tables (the kind's main score unless overridden). */
  metric: string;
  /** Metric of segmentation tables (the kind's main score unless overridden). */
  segmentationMetric: string;
  protocols: ProtocolTable[];
  crossTask: CrossTaskRank[];
}

export interface LeaderboardOptions {
  /** Classification metric for every classification table; default: each protocol's main score (protocol registry). */
  metric?: string;
  /** Segmentation metric for every segmentation table; default: each protocol's main score (diceJaccard, the study's). */
  segmentationMetric?: string;
  /** Only this protocol. */
  protocol?: string;
  /**
   * Modality of a dataset whose results do not state one. Default: the reference-study registry
   * (src/data/registry), so the CLI and the site group the same datasets the same way.
   */
  modalityOf?: (dataset: string) => string | undefined;
}

/** Whether smaller values of a metric are better, as the metric vocabulary says. */
export function lowerIsBetter(metric: string): boolean {
  return metricSpec(metric)?.higherIsBetter === false;
}

export function normaliseModality(raw: string | undefined): ModalityGroup {
  if (!raw || !raw.trim()) return 'unknown';
  const s = raw.trim().toLowerCase().replace(/[\s_]+/g, '-');
  if (/^(x-?ray|cxr|dx|cr|radiograph(y)?|chest-x-?ray)$/.test(s)) return 'X-ray';
  if (/^(ct|computed-tomography)$/.test(s)) return 'CT';
  if (/^(mr|mri|magnetic-resonance(-imaging)?)$/.test(s)) return 'MRI';
  return raw.trim();
}

/**
 * Result files carry classification task types; segmentation results are recognised by their
 * protocol name (`seg…`, `decoder…`) or a Dice metric, since the v1 schema has no task-kind field.
 */
export function taskKindOf(r: Result): TaskKind {
  const p = r.protocol.name.toLowerCase();
  if (p.startsWith('seg') || p.startsWith('decoder') || 'dice' in r.metrics) return 'segmentation';
  return 'classification';
}

/** Ranks 1 = best over the present values, ties averaged; null stays null. */
export function rankValues(values: readonly (number | null)[], lowerBetter = false): (number | null)[] {
  const present = values.map((v, i) => ({ v, i })).filter((x): x is { v: number; i: number } => x.v !== null && Number.isFinite(x.v));
  present.sort((a, b) => (lowerBetter ? a.v - b.v : b.v - a.v));
  const ranks: (number | null)[] = values.map(() => null);
  let start = 0;
  while (start < present.length) {
    let end = start;
    while (end + 1 < present.length && present[end + 1].v === present[start].v) end++;
    const avg = (start + 1 + end + 1) / 2;
    for (let k = start; k <= end; k++) ranks[present[k].i] = avg;
    start = end + 1;
  }
  return ranks;
}

/** Mean rank and Borda count from a rank matrix ranks[model][task] (null = missing). */
export function aggregateRanks(models: readonly string[], ranks: readonly (readonly (number | null)[])[]): RankingRow[] {
  const nTasks = ranks[0]?.length ?? 0;
  const rankedPerTask = Array.from({ length: nTasks }, (_, t) => ranks.filter((r) => r[t] !== null).length);
  const rows = models.map((model, m) => {
    let sum = 0;
    let n = 0;
    let borda = 0;
    for (let t = 0; t < nTasks; t++) {
      const r = ranks[m][t];
      if (r === null) continue;
      sum += r;
      n++;
      borda += rankedPerTask[t] - r;
    }
    return { model, meanRank: n ? sum / n : null, borda, tasksRanked: n };
  });
  return rows.sort(compareRanking);
}

function compareRanking(a: RankingRow, b: RankingRow): number {
  if (a.meanRank !== b.meanRank) {
    if (a.meanRank === null) return 1;
    if (b.meanRank === null) return -1;
    return a.meanRank - b.meanRank;
  }
  if (a.borda !== b.borda) return b.borda - a.borda;
  return a.model < b.model ? -1 : a.model > b.model ? 1 : 0;
}

function registryModality(dataset: string): string | undefined {
  return REGISTRY.find((d) => d.name === dataset)?.modality;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function buildTable(protocol: string, results: Result[], metric: string, modalityOf?: (dataset: string) => string | undefined): ProtocolTable {
  const lower = lowerIsBetter(metric);
  const taskByName = new Map<string, LeaderboardTask>();
  for (const r of results) {
    if (!taskByName.has(r.dataset.name))
      taskByName.set(r.dataset.name, {
        dataset: r.dataset.name,
        modality: normaliseModality(r.dataset.modality ?? modalityOf?.(r.dataset.name)),
        kind: taskKindOf(r),
        dims: r.dataset.dims,
      });
  }
  const tasks = [...taskByName.values()].sort((a, b) => byName(a.dataset, b.dataset));
  const names = [...new Set(results.map((r) => r.model.name))].sort(byName);
  const cellOf = new Map<string, LeaderboardCell>();
  for (const r of results) {
    const key = `${r.model.name}\u0000${r.dataset.name}`;
    if (cellOf.has(key))
      throw new MedprobeError(`two results for model ${r.model.name}, dataset ${r.dataset.name}, protocol ${protocol}`, {
        hint: 'keep one result file per (model, dataset, protocol) in the results folder',
      });
    const v = r.metrics[metric];
    const ci = r.ci?.[metric];
    cellOf.set(key, {
      value: v === undefined || v === null || !Number.isFinite(v) ? null : v,
      ...(ci && v !== null && v !== undefined ? { ci: { low: ci.low, high: ci.high, level: ci.level } } : {}),
      rank: null,
    });
  }
  const grid = names.map((m) => tasks.map((t) => cellOf.get(`${m}\u0000${t.dataset}`) ?? null));
  for (let t = 0; t < tasks.length; t++) {
    const ranks = rankValues(grid.map((row) => row[t]?.value ?? null), lower);
    grid.forEach((row, m) => {
      if (row[t]) row[t]!.rank = ranks[m];
    });
  }
  const ranking = aggregateRanks(names, grid.map((row) => row.map((c) => c?.rank ?? null)));
  const order = ranking.map((r) => names.indexOf(r.model));
  const headlines = [...new Set(results.map((r) => r.selection.chosen.headline).filter((h): h is string => typeof h === 'string'))].sort(byName);
  return {
    protocol,
    metric,
    lowerIsBetter: lower,
    ...(headlines.length ? { headline: headlines.join('; ') } : {}),
    models: order.map((i) => names[i]),
    tasks,
    cells: order.map((i) => grid[i]),
    ranking,
  };
}

function crossTaskRanks(tables: ProtocolTable[]): CrossTaskRank[] {
  const acc = new Map<string, Record<TaskKind, { sum: number; n: number }>>();
  for (const tb of tables)
    tb.models.forEach((model, m) => {
      const a = acc.get(model) ?? { classification: { sum: 0, n: 0 }, segmentation: { sum: 0, n: 0 } };
      acc.set(model, a);
      tb.tasks.forEach((task, t) => {
        const r = tb.cells[m][t]?.rank;
        if (r === null || r === undefined) return;
        a[task.kind].sum += r;
        a[task.kind].n++;
      });
    });
  return [...acc.entries()]
    .sort(([a], [b]) => byName(a, b))
    .map(([model, a]) => ({
      model,
      classification: a.classification.n ? a.classification.sum / a.classification.n : null,
      segmentation: a.segmentation.n ? a.segmentation.sum / a.segmentation.n : null,
    }));
}

/**
 * Build the leaderboard. Tables are per protocol (alphabetical), each ranked by its protocol's
 * main score from the protocol registry (segmentation: diceJaccard); `segmentationMetric`
 * overrides it for protocols whose results are all segmentation, `metric` for the others.
 */
export function buildLeaderboard(results: readonly Result[], opts: LeaderboardOptions = {}): Leaderboard {
  // Checked here too (not only by the CLI): an unknown name would rank every model on empty cells.
  const override = {
    classification: opts.metric === undefined ? undefined : parseMetricName(opts.metric, 'classification'),
    segmentation: opts.segmentationMetric === undefined ? undefined : parseMetricName(opts.segmentationMetric, 'segmentation'),
  };
  const metric = override.classification ?? kindMainScore('classification');
  const segmentationMetric = override.segmentation ?? kindMainScore('segmentation');
  const byProtocol = new Map<string, Result[]>();
  for (const r of results) {
    if (opts.protocol !== undefined && r.protocol.name !== opts.protocol) continue;
    const list = byProtocol.get(r.protocol.name) ?? [];
    list.push(r);
    byProtocol.set(r.protocol.name, list);
  }
  if (opts.protocol !== undefined && byProtocol.size === 0 && results.length > 0) {
    const known = [...new Set(results.map((r) => r.protocol.name))].sort(byName).join(', ');
    throw new MedprobeError(`no results for protocol ${opts.protocol}`, { hint: `protocols in these results: ${known}` });
  }
  const protocols = [...byProtocol.keys()].sort(byName).map((p) => {
    const list = byProtocol.get(p)!;
    const kind: TaskKind = list.every((r) => taskKindOf(r) === 'segmentation') ? 'segmentation' : 'classification';
    return buildTable(p, list, override[kind] ?? mainScoreOf(p, kind), opts.modalityOf ?? registryModality);
  });
  return { schema: LEADERBOARD_SCHEMA_VERSION, metric, segmentationMetric, protocols, crossTask: crossTaskRanks(protocols) };
}
