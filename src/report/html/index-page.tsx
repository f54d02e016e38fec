import type { VNode } from 'preact';
import type { Figure, SkippedFigure } from '../figures.js';
import { LeaderboardTable } from './leaderboard-table.js';
import type { ViewTable } from './leaderboard-view.js';
import { Figures } from './parts.js';

export interface IndexPageProps {
  siteTitle: string;
  resultFiles: number;
  /** Models that have at least one result, in name order. */
  modelsWithResults: string[];
  /** Catalog entries with no result here: listed, not counted as benchmarked. */
  catalogOnly: string[];
  datasets: string[];
  tables: ViewTable[];
  figures: (Figure | SkippedFigure)[];
  rankingNote: string;
  hasCatalogEntry: (model: string) => boolean;
  modelHref: (model: string) => string;
  datasetHref: (dataset: string) => string;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function IndexPage(p: IndexPageProps): VNode {
  return (
    <>
      <h1>{p.siteTitle}</h1>
      <p class="note">
        Frozen-feature benchmark results: {plural(p.modelsWithResults.length, 'model')} with results on {plural(p.datasets.length, 'dataset')}, from{' '}
        {plural(p.resultFiles, 'result file')}. The same numbers as a study-style model × dataset table: <a href="study-tables.html">study tables</a>. Exports:{' '}
        <a href="leaderboard.md">Markdown</a> · <a href="leaderboard.json">JSON</a> · <a href="leaderboard.csv">CSV</a> · <a href="leaderboard-ranking.csv">ranking CSV</a>.
      </p>
      {/* Filters need the page script; it unhides the form. */}
      <form id="filters" aria-label="Filter the leaderboard" hidden>
        <label>
          Modality <select name="modality"></select>
        </label>
        <label>
          Task type <select name="kind"></select>
        </label>
        <label>
          Protocol <select name="protocol"></select>
        </label>
      </form>
      <p id="status" role="status" aria-live="polite"></p>
      <div id="tables">
        {p.tables.length ? (
          p.tables.map((t) => <LeaderboardTable table={t} modelHref={p.modelHref} datasetHref={p.datasetHref} />)
        ) : (
          <p class="empty">No results yet.</p>
        )}
      </div>
      <p class="note">
        {p.rankingNote} <span class="js-only">Sort by activating a column header (click, Enter or Space); filter with the menus above.</span>
      </p>
      <h2>Figures</h2>
      <Figures figs={p.figures} root="" />
      <h2 id="models">Models</h2>
      {p.modelsWithResults.length ? (
        <ul class="names">
          {p.modelsWithResults.map((n) => (
            <li>
              <a href={p.modelHref(n)}>{n}</a>
              {p.hasCatalogEntry(n) ? null : <span class="muted"> (no catalog entry)</span>}
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">No model has results yet.</p>
      )}
      {p.catalogOnly.length ? (
        <details>
          <summary>{plural(p.catalogOnly.length, 'catalog entry', 'catalog entries')} without results here</summary>
          <ul class="names">
            {p.catalogOnly.map((n) => (
              <li>
                <a href={p.modelHref(n)}>{n}</a>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      <h2 id="datasets">Datasets</h2>
      <ul class="names">
        {p.datasets.map((n) => (
          <li>
            <a href={p.datasetHref(n)}>{n}</a>
          </li>
        ))}
      </ul>
    </>
  );
}
