import type { TaskInfo } from '../types.js';
import type { LabelSpec } from './config.js';

/** Result of reading one row's label cells: the label vector, or why the row cannot be used. */
export type LabelParse = { ok: true; label: Int32Array } | { ok: false; reason: string; dropped?: boolean };

export interface LabelReader {
  task: TaskInfo;
  columns: string[];
  read(row: Record<string, string>): LabelParse;
}

function sortClasses(values: string[]): string[] {
  const numeric = values.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  return numeric ? values.sort((a, b) => Number(a) - Number(b)) : values.sort();
}

/** CheXpert-style cell: 1, 0, −1 (uncertain) or blank; "1.0" etc. accepted. */
function cell(v: string | undefined): 1 | 0 | -1 | 'blank' | null {
  const t = (v ?? '').trim();
  if (t === '') return 'blank';
  const n = Number(t);
  return n === 1 ? 1 : n === 0 ? 0 : n === -1 ? -1 : null;
}

/**
 * Build the label reader for a spec. `rows` is needed only to infer the class list of a
 * 'single' spec that does not state its classes.
 */
export function labelReader(spec: LabelSpec, rows: readonly Record<string, string>[]): LabelReader {
  if (spec.kind === 'single') {
    const classes = spec.classes ?? sortClasses([...new Set(rows.map((r) => (r[spec.column] ?? '').trim()).filter((v) => v !== ''))]);
    const index = new Map(classes.map((c, i) => [c, i]));
    return {
      task: { type: classes.length === 2 ? 'binary' : 'multi-class', labels: classes },
      columns: [spec.column],
      read(row) {
        const v = (row[spec.column] ?? '').trim();
        const i = index.get(v);
        if (i === undefined) return { ok: false, reason: v === '' ? `empty label in column '${spec.column}'` : `unknown class '${v}' in column '${spec.column}' (classes: ${classes.join(', ')})` };
        return { ok: true, label: Int32Array.of(i) };
      },
    };
  }
  if (spec.kind === 'multi-columns') {
    return {
      task: { type: 'multi-label', labels: [...spec.columns] },
      columns: [...spec.columns],
      read(row) {
        const label = new Int32Array(spec.columns.length);
        for (let j = 0; j < spec.columns.length; j++) {
          const c = cell(row[spec.columns[j]]);
          if (c === null) return { ok: false, reason: `value '${row[spec.columns[j]]}' in column '${spec.columns[j]}' is not 1, 0, -1 or blank` };
          if (c === 1 || c === 0) {
            label[j] = c;
            continue;
          }
          const policy = c === -1 ? spec.uncertain : spec.blank;
          if (policy === 'ignore-sample') return { ok: false, dropped: true, reason: `${c === -1 ? 'uncertain (-1)' : 'blank'} '${spec.columns[j]}' and policy ignore-sample` };
          label[j] = policy === 'zero' ? 0 : policy === 'one' ? 1 : -1;
        }
        return { ok: true, label };
      },
    };
  }
  const index = new Map(spec.classes.map((c, i) => [c, i]));
  return {
    task: { type: 'multi-label', labels: [...spec.classes] },
    columns: [spec.column],
    read(row) {
      const v = (row[spec.column] ?? '').trim();
      const label = new Int32Array(spec.classes.length);
      if (v === '') return { ok: false, reason: `empty label list in column '${spec.column}'` };
      if (v === spec.noFinding && !index.has(v)) return { ok: true, label };
      for (const part of v.split(spec.separator)) {
        const name = part.trim();
        const i = index.get(name);
        if (i === undefined) return { ok: false, reason: `unknown label '${name}' in column '${spec.column}'` };
        label[i] = 1;
      }
      return { ok: true, label };
    },
  };
}
