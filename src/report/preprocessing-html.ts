import { escapeHtml as e } from './escape.js';

/** Compact text for a recipe value: arrays and objects as one-line JSON, strings bare. */
function compact(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isInteger(x) ? +x.toPrecision(6) : x)) ?? String(v);
}

function stepHtml(step: unknown): string {
  if (!step || typeof step !== 'object' || Array.isArray(step)) return `<li>${e(compact(step))}</li>`;
  const { op, ...rest } = step as Record<string, unknown>;
  const params = Object.entries(rest).map(([k, v]) => `${k}=${compact(v)}`).join(', ');
  return `<li>${op !== undefined ? `<code>${e(compact(op))}</code>` : ''}${params ? ` ${e(params)}` : ''}</li>`;
}

/**
 * A preprocessing recipe (`result.dataset.preprocessing`, free-form) as HTML: top-level fields as a
 * definition list, a list of steps as an ordered list of `op k=v, …`. Long decimals are shown to 6
 * significant digits here only; the raw result JSON keeps the exact values.
 */
export function preprocessingHtml(recipe: Record<string, unknown>): string {
  const rows = Object.entries(recipe).map(([k, v]) => {
    const value = Array.isArray(v) && v.some((s) => s && typeof s === 'object') ? `<ol class="steps">${v.map(stepHtml).join('')}</ol>` : e(compact(v));
    return `<dt>${e(k)}</dt><dd>${value}</dd>`;
  });
  return rows.length ? `<dl class="facts">${rows.join('')}</dl>` : '<p class="muted">No preprocessing recorded.</p>';
}
