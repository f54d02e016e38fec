import type { VNode } from 'preact';
import { METRICS, baseMetric } from '../../metrics/names.js';
import type { Result } from '../../results/schema.js';
import { formatCi, formatMetric, formatParams } from '../format.js';

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

export function ResultsTable({ caption, nameColumn, rows }: { caption: string; nameColumn: string; rows: ResultRow[] }): VNode {
  const metrics = summaryMetrics(rows.map((r) => r.result));
  return (
    <div class="table-wrap">
      <table class="results">
        <caption>{caption}</caption>
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
              <td class="chosen">{formatParams(r.selection.chosen) || '—'} <span class="muted">(on {r.selection.split})</span></td>
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
