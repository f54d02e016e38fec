/**
 * Model and dataset pages list results in one table per task kind (no column of dashes for the
 * other kind), and the Chosen cell never dumps a nested config as raw JSON: the layout defect the
 * browser check found (58 px overflow at 1400 px on model pages with segmentation results).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { ResultsTable, type ResultRow } from '../../src/report/html/results-table.js';
import { formatChosen } from '../../src/report/format.js';
import { makeResult } from '../results/make-result.js';

const row = (protocol: string, metrics: Record<string, number>, chosen: Record<string, unknown>): ResultRow => {
  const result = makeResult({ model: 'm', dataset: 'd', protocol, metrics });
  result.selection.chosen = chosen;
  return { result, label: 'd', labelHref: 'd.html', json: 'x.json', csv: 'x.csv' };
};

test('classification and segmentation results get a table each, with only their own metric columns', () => {
  const html = renderToString(
    h(ResultsTable, {
      caption: 'Every result of m',
      nameColumn: 'Dataset',
      rows: [row('knn', { auroc: 0.9, accuracy: 0.8 }, { k: 20 }), row('seg-unet', { dice: 0.7, iou: 0.6 }, { lr: 0.01, decoder: { layers: [0, 1, 2, 3], loss: 'dice' } })],
    }),
  );
  const tables = html.split('<table').slice(1);
  assert.equal(tables.length, 2);
  assert.match(tables[0], /Every result of m — classification: test metrics/);
  assert.ok(!tables[0].includes('>Dice<'));
  assert.match(tables[1], /Every result of m — segmentation/);
  assert.ok(!tables[1].includes('>ACC<'));
  assert.ok(!html.includes('{&quot;layers'), 'no raw JSON in the Chosen cell');
});

test('Chosen cell: a headline as it is; scalars in words; nested settings counted, left to the JSON', () => {
  assert.equal(formatChosen({ headline: 'kNN at 64 shots per class, mean of 5 tries', shots: 64 }), 'kNN at 64 shots per class, mean of 5 tries');
  assert.equal(formatChosen({ lr: 0.0005, weightDecay: 0.1 }), 'lr 5e-4 · weight decay 0.1');
  assert.equal(formatChosen({ lr: 0.01, decoder: { layers: [0] } }), 'lr 0.01 · 1 nested setting in the JSON');
});
