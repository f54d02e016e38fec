import type { VNode } from 'preact';
import type { Figure, SkippedFigure } from '../figures.js';
import type { LeakageSummary } from '../figure-inputs.js';
import { Facts, Figures, Muted, type FactValue } from './parts.js';
import { Preprocessing, type RecipeUse } from './preprocessing.js';
import { ResultsTable, type ResultRow } from './results-table.js';

export interface DatasetPageProps {
  name: string;
  description?: string;
  facts: [string, FactValue][];
  recipes: RecipeUse[];
  leakage: { source: string; summary: LeakageSummary }[];
  rows: ResultRow[];
  fewShot: Figure | SkippedFigure | undefined;
  overlays: { src: string; alt: string; caption: string }[];
}

function Leakage({ source, l }: { source: string; l: LeakageSummary }): VNode {
  const n = (v: number | undefined): string | undefined => (v === undefined ? undefined : v.toLocaleString('en-US'));
  return (
    <>
      <h3>
        Leakage check <span class="muted">({source})</span>
      </h3>
      <Facts
        rows={[
          ['Method', l.method],
          ['Threshold', l.threshold === undefined ? undefined : String(l.threshold)],
          ['Images checked', n(l.checked)],
          ['Cross-split near-duplicates', n(l.crossSplitDuplicates)],
          ['Per split pair', l.pairs ? Object.entries(l.pairs).map(([k, v]) => `${k}: ${v}`).join(', ') : undefined],
          ['Patients in more than one split', n(l.patientOverlap)],
          ['Images not hashed', n(l.failures)],
          ['Notes', l.notes],
        ]}
      />
    </>
  );
}

export function DatasetPage(p: DatasetPageProps): VNode {
  return (
    <>
      <h1>{p.name}</h1>
      {p.description ? <p>{p.description}</p> : null}
      <Facts rows={p.facts} />
      <h2>Preprocessing</h2>
      <Preprocessing uses={p.recipes} />
      <h2>Leakage</h2>
      {p.leakage.length ? p.leakage.map((x) => <Leakage source={x.source} l={x.summary} />) : <Muted>No leakage check recorded for this dataset.</Muted>}
      <h2>Results</h2>
      <ResultsTable caption={`Every result on ${p.name}`} nameColumn="Model" rows={p.rows} />
      {p.fewShot ? (
        <>
          <h2>Few-shot</h2>
          <Figures figs={[p.fewShot]} root="../" />
        </>
      ) : null}
      {p.overlays.length ? (
        <>
          <h2>Segmentation overlays</h2>
          <div class="overlays">
            {p.overlays.map((o) => (
              <figure>
                <img src={o.src} alt={o.alt} />
                <figcaption>{o.caption}</figcaption>
              </figure>
            ))}
          </div>
        </>
      ) : null}
    </>
  );
}
