import type { VNode } from 'preact';
import type { SiteModelCard } from '../catalog.js';
import type { Figure, SkippedFigure } from '../figures.js';
import { formatCount } from '../format.js';
import { Facts, Figures, Muted, linkOrText } from './parts.js';
import { ResultsTable, type ResultRow } from './results-table.js';

export interface ModelPageProps {
  name: string;
  entry: SiteModelCard | undefined;
  /** How the results ran this model (runtime, input size, feature), from its first result. */
  asRun: string | undefined;
  rows: ResultRow[];
  grids: (Figure | SkippedFigure)[];
  pca: { src: string; caption: string }[];
}

function CatalogEntry({ name, entry }: { name: string; entry: SiteModelCard | undefined }): VNode {
  if (!entry) return <Muted>No catalog entry: this model is not in the catalog, so its architecture, licence and openness are not stated here.</Muted>;
  return (
    <>
      {entry.name !== name ? (
        <p>
          Catalog entry: <strong>{entry.name}</strong>.
        </p>
      ) : null}
      {entry.summary ? <p>{entry.summary}</p> : null}
      <Facts
        rows={[
          ['Organisation', entry.organisation],
          ['Released', entry.releaseDate],
          ['Architecture', entry.architecture],
          ['Parameters', entry.params === undefined ? undefined : formatCount(entry.params)],
          ['Pretraining data', entry.pretrainingData],
          ['Pretraining images', entry.pretrainingImages === undefined ? undefined : formatCount(entry.pretrainingImages)],
          ['Licence', entry.licence],
          ['Openness', entry.openness ? `${entry.openness.class} (score ${entry.openness.score})` : undefined],
          ['Openness rule', entry.openness?.rule],
          ['Citation', entry.citation],
          ['Link', linkOrText(entry.url)],
        ]}
      />
    </>
  );
}

export function ModelPage(p: ModelPageProps): VNode {
  return (
    <>
      <h1>{p.name}</h1>
      <h2>Catalog entry</h2>
      <CatalogEntry name={p.name} entry={p.entry} />
      {p.asRun ? <p class="muted">As run: {p.asRun}.</p> : null}
      <h2>Results</h2>
      {p.rows.length ? (
        <ResultsTable caption={`Every result of ${p.name}: test metrics, bootstrap CI in parentheses where computed.`} nameColumn="Dataset" rows={p.rows} />
      ) : (
        <Muted>No results for this model yet.</Muted>
      )}
      {p.grids.length ? (
        <>
          <h2>Linear-probe grids</h2>
          <Figures figs={p.grids} root="../" />
        </>
      ) : null}
      {p.pca.length ? (
        <>
          <h2>PCA patch maps</h2>
          <Muted>First three principal components of patch tokens as RGB; background removed by thresholding the first component.</Muted>
          <div class="pca">
            {p.pca.map((img) => (
              <figure>
                <img src={img.src} alt={`PCA patch map of ${p.name}: ${img.caption}`} />
                <figcaption>{img.caption}</figcaption>
              </figure>
            ))}
          </div>
        </>
      ) : null}
    </>
  );
}
