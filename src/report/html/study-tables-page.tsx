import type { VNode } from 'preact';
import type { StudyTable } from '../study-tables.js';
import { formatCi, formatMetric } from '../format.js';
import { Muted } from './parts.js';

export interface StudyTablesPageProps {
  tables: StudyTable[];
  modelHref: (model: string) => string;
  datasetHref: (dataset: string) => string;
}

const TITLES = {
  classification: 'Table 3 layout — classification: test score per protocol',
  segmentation: 'Table 4 layout — segmentation: test score per protocol',
};

function StudyTableView({ t, modelHref, datasetHref }: { t: StudyTable } & Omit<StudyTablesPageProps, 'tables'>): VNode {
  return (
    <section class="study" data-kind={t.kind}>
      <h2>{TITLES[t.kind]}</h2>
      <div class="table-wrap">
        <table class="study">
          <caption>
            Rows are dataset × model; each protocol column holds its own test metric (named in the header); bold is the best on that dataset (rank 1, ties included).
            95% bootstrap CI below each value where computed.
          </caption>
          <thead>
            <tr>
              <th scope="col">Dataset</th>
              <th scope="col">Model</th>
              {t.protocols.map((p) => (
                <th scope="col" class="num">
                  {p.name}
                  <span class="sub">
                    {p.metric} {p.lowerIsBetter ? '↓' : '↑'}
                  </span>
                </th>
              ))}
            </tr>
          </thead>
          {t.datasets.map((d) => (
            <tbody>
              {d.rows.map((r, i) => (
                <tr>
                  {i === 0 ? (
                    <th scope="rowgroup" rowSpan={d.rows.length} class="group">
                      <a href={datasetHref(d.dataset)}>{d.dataset}</a>
                      <span class="sub">
                        {d.modality} · {d.dims}D
                      </span>
                    </th>
                  ) : null}
                  <th scope="row">
                    <a href={modelHref(r.model)}>{r.model}</a>
                  </th>
                  {r.cells.map((c, j) =>
                    !c || c.value === null ? (
                      <td class="num missing">—</td>
                    ) : (
                      <td class={r.best[j] ? 'num best' : 'num'}>
                        {r.best[j] ? <strong>{formatMetric(c.value)}</strong> : formatMetric(c.value)}
                        {c.ci ? <span class="ci">{formatCi(c.ci)}</span> : null}
                      </td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          ))}
        </table>
      </div>
    </section>
  );
}

export function StudyTablesPage(p: StudyTablesPageProps): VNode {
  return (
    <>
      <h1>Study tables</h1>
      <p class="note">
        The leaderboard in the layout of the reference study's Tables 3 and 4 (DINOv2 on radiology benchmarks): one row per dataset and model, one column per protocol.
      </p>
      {p.tables.length ? p.tables.map((t) => <StudyTableView t={t} modelHref={p.modelHref} datasetHref={p.datasetHref} />) : <Muted>No results yet.</Muted>}
    </>
  );
}
