// Automated "no overlapping text" check for the built site, run in the page by Playwright: used by
// the browser test (test/report/site-browser.test.ts) on generated results and by
// scripts/screenshots.ts on real ones. Reports, as one line each:
// - the page scrolling sideways (wider than the viewport);
// - a table wider than its scroll box (the site promises no table overflow at 1400 px);
// - an element whose text overflows its own box (clipped or spilling into a neighbour);
// - two pieces of HTML text whose boxes overlap;
// - two SVG <text> labels of one figure that overlap (ticks, legend, point labels).
import type { Page } from 'playwright-core';

/* eslint-disable @typescript-eslint/no-explicit-any -- runs in the browser; the project's lib has no DOM types */
function inPage(): string[] {
  const g = globalThis as any;
  const doc = g.document;
  const out: string[] = [];
  const name = (el: any): string => {
    const text = (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return `<${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''}> "${text}"`;
  };
  if (doc.documentElement.scrollWidth > g.innerWidth + 1) out.push(`page is ${doc.documentElement.scrollWidth}px wide in a ${g.innerWidth}px viewport`);
  for (const w of doc.querySelectorAll('.table-wrap')) if (w.scrollWidth > w.clientWidth + 1) out.push(`table overflows its box by ${w.scrollWidth - w.clientWidth}px: ${name(w.querySelector('caption') ?? w)}`);
  // Text boxes: every element that holds text directly.
  const boxes: { el: any; r: any }[] = [];
  for (const el of doc.querySelectorAll('main *, header *')) {
    if (el.closest('svg') || (el.closest('details:not([open])') && !el.closest('summary'))) continue;
    const own = [...el.childNodes].filter((n: any) => n.nodeType === 3 && n.textContent.trim());
    if (!own.length) continue;
    const style = g.getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (el.scrollWidth > el.clientWidth + 1 && style.overflowX === 'visible' && style.display !== 'inline' && el.clientWidth > 0)
      out.push(`text overflows its box by ${el.scrollWidth - el.clientWidth}px: ${name(el)}`);
    for (const n of own) {
      const range = doc.createRange();
      range.selectNodeContents(n);
      for (const r of range.getClientRects()) if (r.width > 0.5 && r.height > 0.5) boxes.push({ el, r });
    }
  }
  const overlap = (a: any, b: any, slack: number): boolean => a.left < b.right - slack && b.left < a.right - slack && a.top < b.bottom - slack && b.top < a.bottom - slack;
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++)
      if (boxes[i].el !== boxes[j].el && overlap(boxes[i].r, boxes[j].r, 2)) out.push(`text overlaps: ${name(boxes[i].el)} and ${name(boxes[j].el)}`);
  // Figures: labels of one SVG must not overprint each other.
  for (const svg of doc.querySelectorAll('svg')) {
    const texts = [...svg.querySelectorAll('text')].filter((t: any) => (t.textContent ?? '').trim()).map((t: any) => ({ t, r: t.getBoundingClientRect() }));
    for (let i = 0; i < texts.length; i++)
      for (let j = i + 1; j < texts.length; j++)
        if (overlap(texts[i].r, texts[j].r, 1)) out.push(`figure labels overlap in ${svg.querySelector('title')?.textContent ?? 'a figure'}: "${texts[i].t.textContent}" and "${texts[j].t.textContent}"`);
    const box = svg.getBoundingClientRect();
    for (const { t, r } of texts)
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
        out.push(`figure label cut at the edge of ${svg.querySelector('title')?.textContent ?? 'a figure'}: "${t.textContent}"`);
  }
  return [...new Set(out)];
}

/** Layout problems of the page as it is now (empty when none). */
export async function layoutProblems(page: Page): Promise<string[]> {
  // tsx (esbuild keepNames) wraps inner functions in __name(); give the page a no-op one.
  await page.evaluate('globalThis.__name ??= (f) => f');
  return page.evaluate(inPage);
}
