import type { VNode } from 'preact';
import { METRICS, baseMetric } from '../../metrics/names.js';
import type { Result } from '../../results/schema.js';
import { formatChosen, formatCi, formatMetric } from '../format.js';
import { taskKindOf } from '../../results/leaderboard.js';

/** One row of a page's result list: a result file with where its raw JSON, CSV and the other page live. */
export interface ResultRow {
  result: Result;
  /** The linked name in the first column (a dataset on a model page, a model on a dataset page). */
  label: string;
  labelHref: string;
  json: string;
  csv: string;
}

/**
 * The summary metrics shown as columns: the vocabulary's metrics (in its order) that any row has.
 * Per-class values (`auroc/pneumonia`) stay in the raw JSON, so the table keeps a readable width.
 */
export function summaryMetrics(results: readonly Result[]): string[] {
  const present = new Set(results.flatMap((r) => Object.keys(r.metrics)).filter((k) => baseMetric(k) === k));
  return Object.keys(METRICS).filter((m) => present.has(m));
}

/**
 * One table per task kind: classification and segmentation share no metric, so one table with
 * both sets of columns would be mostly dashes and wider than the page.
 */
/** `caption`: what the rows are (`Every result of tiny-vit`); the table says what its cells are. */
export function ResultsTable({ caption, nameColumn, rows }: { caption: string; nameColumn: string; rows: ResultRow[] }): VNode {
  const kinds = (['classification', 'segmentation'] as const).map((k) => ({ kind: k, rows: rows.filter((r) => taskKindOf(r.result) === k) })).filter((g) => g.rows.length);
  if (kinds.length < 2) return <KindTable caption={caption} nameColumn={nameColumn} rows={rows} />;
  return (
    <>
      {kinds.map((g) => (
        <KindTable caption={`${caption} — ${g.kind}`} nameColumn={nameColumn} rows={g.rows} />
      ))}
    </>
  );
}

function KindTable({ caption, nameColumn, rows }: { caption: string; nameColumn: string; rows: ResultRow[] }): VNode {
  const metrics = summaryMetrics(rows.map((r) => r.result));
  return (
    <div class="table-wrap">
      <table class="results">
        <caption>{caption}: test metrics, bootstrap CI in parentheses where computed.</caption>
        <thead>
          <tr>
            <th scope="col">{nameColumn}</th>
            <th scope="col">Protocol</th>
            {metrics.map((m) => (
              <th scope="col" class="num" title={METRICS[m as keyof typeof METRICS].description}>
                {METRICS[m as keyof typeof METRICS].label}
              </th>
            ))}
            <th scope="col">Chosen (on split)</th>
            <th scope="col">Files</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ result: r, label, labelHref, json, csv }) => (
            <tr>
              <th scope="row">
                <a href={labelHref}>{label}</a>
              </th>
              <td>{r.protocol.name}</td>
              {metrics.map((m) => {
                const v = r.metrics[m];
                const ci = r.ci?.[m];
                if (v === undefined || v === null) return <td class="num missing">—</td>;
                return (
                  <td class="num">
                    {formatMetric(v)}
                    {ci ? <span class="ci">{formatCi(ci)}</span> : null}
                  </td>
                );
              })}
              <td class="chosen">{formatChosen(r.selection.chosen) || '—'} <span class="muted">(on {r.selection.split})</span></td>
              <td class="files">
                <a href={json}>JSON</a> · <a href={csv}>predictions CSV</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
