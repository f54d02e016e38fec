import type { VNode } from 'preact';
import type { SiteCatalogEntry } from '../catalog.js';
import type { Figure, SkippedFigure } from '../figures.js';
import { formatCount } from '../format.js';
import { Facts, Figures, Muted, linkOrText } from './parts.js';
import { ResultsTable, type ResultRow } from './results-table.js';

export interface ModelPageProps {
  name: string;
  entry: SiteCatalogEntry | undefined;
  /** How the results ran this model (runtime, input size, feature), from its first result. */
  asRun: string | undefined;
  rows: ResultRow[];
  grids: (Figure | SkippedFigure)[];
  pca: { src: string; caption: string }[];
}

function CatalogEntry({ name, entry }: { name: string; entry: SiteCatalogEntry | undefined }): VNode {
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
          ['Citation', entry.citation],
          ['Link', linkOrText(entry.url)],
        ]}
      />
    </>
  );
}

function Score({ value, name, question }: { value: number; name: string; question: string }): VNode {
  return (
    <div class="score">
      <span class="value">{value}</span>
      <span class="of"> / 100</span>
      <span class="name">{name}</span>
      <span class="question">{question}</span>
      <span class="bar" aria-hidden="true">
        <span style={{ width: `${Math.max(0, Math.min(100, value))}%` }} />
      </span>
    </div>
  );
}

/** bio.rodeo's view of openness: two questions answered with a score each, and the licence's class. */
function Openness({ entry }: { entry: SiteCatalogEntry }): VNode {
  const o = entry.openness;
  if (!o) return <Muted>The catalog entry states no openness facts.</Muted>;
  return (
    <>
      <div class="openness">
        {o.usability !== undefined ? <Score value={o.usability} name="Usability" question="Can I run it? Weights to download, licence to use them." /> : null}
        {o.reproducibility !== undefined ? <Score value={o.reproducibility} name="Reproducibility" question="Can I retrain it? Training code and training data." /> : null}
        <div class="score licence">
          <span class="value">{entry.licenceClass ?? 'unknown'}</span>
          <span class="name">Licence class</span>
          <span class="question">{entry.licence ?? 'no licence found'}</span>
        </div>
      </div>
      <Facts
        rows={[
          ['Overall', `${o.class}, ${o.score} / 100`],
          ['How it is scored', o.rule],
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
      {p.entry ? (
        <>
          <h2>Openness</h2>
          <Openness entry={p.entry} />
        </>
      ) : null}
      {p.asRun ? <p class="muted">As run: {p.asRun}.</p> : null}
      <h2>Results</h2>
      {p.rows.length ? (
        <ResultsTable caption={`Every result of ${p.name}`} nameColumn="Dataset" rows={p.rows} />
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
