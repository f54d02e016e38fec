import type { VNode } from 'preact';
import type { ViewTable } from './leaderboard-view.js';

/**
 * A protocol table as plain HTML, so the leaderboard reads without JavaScript. assets/site/site.js
 * builds the same structure (plus sort buttons) when it filters or sorts; keep the two in step.
 */
export function LeaderboardTable({ table, modelHref, datasetHref }: { table: ViewTable; modelHref: (m: string) => string; datasetHref: (d: string) => string }): VNode {
  return (
    <section class="protocol" data-protocol={table.protocol}>
      <div class="table-wrap">
        <table class="leaderboard">
          <caption>
            <strong>{table.protocol}</strong> — test {table.metric}
            {table.headline ? ` of ${table.headline}` : ''} ({table.direction} is better); {table.ciNote}.
          </caption>
          <thead>
            <tr>
              <th scope="col">Rank</th>
              <th scope="col">Model</th>
              {table.columns.map((c) => (
                <th scope="col" data-modality={c.modality} data-kind={c.kind}>
                  {c.dataset}
                  <span class="sub">
                    {c.modality} · {c.kind} · {c.dims}D
                  </span>
                </th>
              ))}
              <th scope="col">Mean rank (n)</th>
              <th scope="col">Borda</th>
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row) => (
              <tr data-model={row.model}>
                <td class="num">{row.position}</td>
                <th scope="row">
                  <a href={modelHref(row.model)}>{row.model}</a>
                </th>
                {row.cells.map((c) =>
                  !c || c.value === null ? (
                    <td class="num missing" title={c ? 'result file has no value for this metric' : 'no result'}>
                      —
                    </td>
                  ) : (
                    <td class="num">
                      {c.text}
                      {c.ci ? <span class="ci"> {c.ci}</span> : null}
                    </td>
                  ),
                )}
                <td class="num">{row.meanRankText}</td>
                <td class="num">{row.bordaText}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="tasks">
        Datasets:{' '}
        {table.columns.map((c, i) => (
          <>
            {i ? ', ' : ''}
            <a href={datasetHref(c.dataset)}>{c.dataset}</a>
          </>
        ))}
      </p>
    </section>
  );
}
