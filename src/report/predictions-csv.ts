import type { Result } from '../results/schema.js';
import { csvField } from './escape.js';

/**
 * Per-sample test predictions of a result as CSV: `id`, the label column(s), the score column(s).
 * Columns are named after the task's labels when the widths match (multi-label labels, multi-class
 * probabilities), else numbered, so the file is readable without the JSON beside it.
 */
export function predictionsCsv(r: Result): string {
  const p = r.predictions;
  const names = r.dataset.task.labels;
  const lw = p.labels[0]?.length ?? 1;
  const sw = p.scores[0]?.length ?? 1;
  const labelCols = lw === 1 ? ['label'] : Array.from({ length: lw }, (_, i) => `label_${names.length === lw ? names[i] : i}`);
  const scoreCols =
    sw === 1 ? ['score'] : Array.from({ length: sw }, (_, i) => `score_${names.length === sw ? names[i] : i}`);
  const lines = [['id', ...labelCols, ...scoreCols].map(csvField).join(',')];
  for (let i = 0; i < p.ids.length; i++) lines.push([p.ids[i], ...(p.labels[i] ?? []), ...(p.scores[i] ?? [])].map(csvField).join(','));
  return lines.join('\n') + '\n';
}
