import type { ComponentChildren, VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';

/**
 * Every page of the site is a preact component tree rendered to a string at build time. Text and
 * attribute values are escaped by the renderer, so names from result files and catalog entries
 * (anyone can write those) are always data, never markup. The only raw HTML inserted anywhere is
 * Plot's SVG (built by us from numbers and escaped names) and the JSON block (escaped for a script tag).
 */

/**
 * Inline scripts are forbidden (only same-origin script files run); figures are inline SVG
 * produced by Plot, whose `<style>` element needs inline styles; images are local files.
 */
export const SITE_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'";

export interface LayoutProps {
  title: string;
  siteTitle: string;
  /** Relative path from the page to the site root: '' or '../'. */
  root: string;
  children: ComponentChildren;
  /** Elements placed after <main>, e.g. the data block and the page script. */
  scripts?: ComponentChildren;
}

function Layout({ title, siteTitle, root, children, scripts }: LayoutProps): VNode {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta http-equiv="Content-Security-Policy" content={SITE_CSP} />
        <title>{title}</title>
        <link rel="stylesheet" href={`${root}assets/site.css`} />
      </head>
      <body>
        <header class="site">
          <a class="brand" href={`${root}index.html`}>{siteTitle}</a>
          <nav aria-label="Site">
            <a href={`${root}index.html`}>Leaderboard</a> · <a href={`${root}study-tables.html`}>Study tables</a> · <a href={`${root}index.html#models`}>Models</a> ·{' '}
            <a href={`${root}index.html#datasets`}>Datasets</a>
          </nav>
        </header>
        <main>{children}</main>
        {scripts}
      </body>
    </html>
  );
}

/** A whole HTML document for one page. */
export function renderPage(props: LayoutProps): string {
  return `<!doctype html>\n${renderToString(<Layout {...props} />)}\n`;
}
