import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseMetric, metricValueProblem, parseMetricName } from '../../src/metrics/names.js';
import { CLASSIFICATION_METRIC_KEYS } from '../../src/metrics/evaluate-classification.js';
import { medprobeError } from '../helpers/assertions.js';

test('every classification metric key the evaluator returns is in the vocabulary', () => {
  for (const k of CLASSIFICATION_METRIC_KEYS) assert.equal(baseMetric(k), k);
  assert.equal(baseMetric('auroc/pneumonia'), 'auroc');
  assert.equal(baseMetric('loss'), undefined);
});

test('values outside a metric’s range, or not finite, are problems; null is not', () => {
  assert.equal(metricValueProblem('auroc', 0.92), null);
  assert.equal(metricValueProblem('auroc', null), null);
  assert.match(metricValueProblem('auroc', 7.5)!, /outside its range \[0, 1\]/);
  assert.match(metricValueProblem('accuracy', -3)!, /outside/);
  assert.equal(metricValueProblem('mcc', -0.5), null);
  assert.match(metricValueProblem('mcc', -1.5)!, /\[-1, 1\]/);
  assert.match(metricValueProblem('dice/spleen', 1.01)!, /outside/);
  assert.match(metricValueProblem('auroc', Number.NaN)!, /not a finite number/);
});

test('parseMetricName accepts any case, restricts by task kind and suggests a close name', () => {
  assert.equal(parseMetricName('ACCURACY'), 'accuracy');
  assert.equal(parseMetricName('dice', 'segmentation'), 'dice');
  assert.throws(() => parseMetricName('acc'), medprobeError(/unknown metric "acc"/));
  assert.throws(() => parseMetricName('dice', 'classification'), medprobeError(/unknown classification metric/));
});
