import type { Leaderboard, LeaderboardCell, TaskKind } from '../results/leaderboard.js';

/**
 * The reference study's Table 3 (classification) and Table 4 (segmentation) layout: one row per
 * (dataset, model), one column per protocol, the best value per dataset and protocol marked.
 * Built from the leaderboard, so the numbers are the leaderboard's.
 */
export interface StudyTable {
  kind: TaskKind;
  protocols: { name: string; metric: string; lowerIsBetter: boolean }[];
  datasets: {
    dataset: string;
    modality: string;
    dims: 2 | 3;
    rows: { model: string; cells: (LeaderboardCell | null)[]; best: boolean[] }[];
  }[];
}

/** Protocols in the order the study's tables read (frozen-feature probes first), then the rest by name. */
const ORDER = ['knn', 'mlknn', 'linear', 'fewshot', 'seg-linear', 'seg-unet', 'lora', 'bitfit', 'finetune'];
const order = (p: string): number => {
  const i = ORDER.indexOf(p.toLowerCase());
  return i < 0 ? ORDER.length : i;
};

export function studyTables(lb: Leaderboard): StudyTable[] {
  const out: StudyTable[] = [];
  for (const kind of ['classification', 'segmentation'] as const) {
    const tables = lb.protocols
      .filter((tb) => tb.tasks.some((t) => t.kind === kind))
      .sort((a, b) => order(a.protocol) - order(b.protocol) || (a.protocol < b.protocol ? -1 : 1));
    if (!tables.length) continue;
    const datasets = new Map<string, StudyTable['datasets'][number]>();
    for (const tb of tables)
      for (const t of tb.tasks)
        if (t.kind === kind && !datasets.has(t.dataset)) datasets.set(t.dataset, { dataset: t.dataset, modality: t.modality, dims: t.dims, rows: [] });
    for (const d of datasets.values()) {
      const models = [...new Set(tables.flatMap((tb) => (tb.tasks.some((t) => t.dataset === d.dataset) ? tb.models : [])))].sort();
      const cellsOf = (model: string): (LeaderboardCell | null)[] =>
        tables.map((tb) => {
          const ti = tb.tasks.findIndex((t) => t.dataset === d.dataset);
          const mi = tb.models.indexOf(model);
          return ti < 0 || mi < 0 ? null : tb.cells[mi][ti];
        });
      const rows = models.map((model) => ({ model, cells: cellsOf(model) })).filter((r) => r.cells.some((c) => c !== null));
      d.rows = rows.map((r) => ({ ...r, best: r.cells.map((c) => c?.rank === 1) }));
    }
    out.push({
      kind,
      protocols: tables.map((tb) => ({ name: tb.protocol, metric: tb.metric, lowerIsBetter: tb.lowerIsBetter })),
      datasets: [...datasets.values()].sort((a, b) => (a.dataset < b.dataset ? -1 : 1)),
    });
  }
  return out;
}
