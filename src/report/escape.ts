/**
 * Escaping for every place a model, dataset or label name ends up. Names come from result
 * files and catalog cards that anyone can write, so they are data, never markup.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text content and double- or single-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * JSON inside `<script type="application/json">`: the HTML parser ends the element at the first
 * `</script`, and `<!--` switches it into a comment-ish state, so `<`, `>` and `&` are written as
 * JSON unicode escapes (still the same JSON value). U+2028/2029 are escaped for old JS parsers.
 */
export function jsonForScriptTag(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * A Markdown table cell: GitHub renders inline HTML, so the HTML specials are escaped; `|` would
 * split the cell, and a newline would end the row.
 */
export function escapeMarkdownCell(s: string): string {
  return escapeHtml(s)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[*_`[\]]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, ' ');
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  // A text cell starting with = + - @ (or tab/CR) runs as a formula in spreadsheets (CSV
  // injection, OWASP): prefix it with ' so it is shown as text. Numbers are written as numbers.
  const s = typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A safe single path segment for a name (model/dataset names can hold `/`, `..`, `<`…). */
export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '-')
    .replace(/^[.-]+|-+$/g, '')
    .slice(0, 80);
  return s || 'item';
}
