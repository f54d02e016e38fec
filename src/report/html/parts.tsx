import type { ComponentChildren, VNode } from 'preact';
import type { Figure, SkippedFigure } from '../figures.js';

/** A value in a facts list: text, markup built from components, or absent ("not stated"). */
export type FactValue = string | VNode | undefined;

/** A definition list of facts; absent values say "not stated" rather than vanishing. */
export function Facts({ rows }: { rows: [string, FactValue][] }): VNode {
  return (
    <dl class="facts">
      {rows.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{v === undefined ? <span class="muted">not stated</span> : v}</dd>
        </>
      ))}
    </dl>
  );
}

/** A clickable link only for an http(s) URL at the start of the text (no javascript: or data: URLs); text otherwise. */
export function linkOrText(text: string | undefined): FactValue {
  if (text === undefined) return undefined;
  const m = /^https?:\/\/[^\s"'<>]+/.exec(text);
  if (!m) return text;
  return (
    <>
      <a href={m[0]} rel="noopener noreferrer">
        {m[0]}
      </a>
      {text.slice(m[0].length)}
    </>
  );
}

/** Raw SVG from Plot: the one place markup is inserted unescaped (built by figures.ts from numbers and escaped text). */
function Svg({ svg }: { svg: string }): VNode {
  return <div class="plot" dangerouslySetInnerHTML={{ __html: svg }} />;
}

export function FigureBlock({ fig, root }: { fig: Figure | SkippedFigure; root: string }): VNode {
  if ('skipped' in fig)
    return (
      <figure class="fig skipped" id={`fig-${fig.id}`}>
        <figcaption>
          <strong>{fig.title}</strong>: not drawn — {fig.skipped}.
        </figcaption>
      </figure>
    );
  return (
    <figure class="fig" id={`fig-${fig.id}`}>
      <Svg svg={fig.svg} />
      <figcaption>
        <strong>{fig.title}</strong>. {fig.caption} Download:{' '}
        <a href={`${root}figures/${fig.id}.svg`} download>
          SVG
        </a>{' '}
        ·{' '}
        <a href={`${root}figures/${fig.id}.png`} download>
          PNG
        </a>
      </figcaption>
    </figure>
  );
}

export function Figures({ figs, root }: { figs: (Figure | SkippedFigure)[]; root: string }): VNode {
  return (
    <section class="figures">
      {figs.map((f) => (
        <FigureBlock fig={f} root={root} />
      ))}
    </section>
  );
}

export function Muted({ children }: { children: ComponentChildren }): VNode {
  return <p class="muted">{children}</p>;
}
