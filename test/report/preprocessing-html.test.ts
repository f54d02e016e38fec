import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preprocessingHtml } from '../../src/report/preprocessing-html.js';

test('preprocessingHtml: steps as an ordered list, values compact and escaped', () => {
  const html = preprocessingHtml({
    recipe: 'ct-<default>',
    steps: [{ op: 'window', range: [-1024, 600] }, { op: 'normalize', rescale: 1 / 255, mean: [0.5, 0.5, 0.5] }],
  });
  assert.equal(
    html,
    '<dl class="facts"><dt>recipe</dt><dd>ct-&lt;default&gt;</dd><dt>steps</dt><dd><ol class="steps">' +
      '<li><code>window</code> range=[-1024,600]</li><li><code>normalize</code> rescale=0.00392157, mean=[0.5,0.5,0.5]</li></ol></dd></dl>',
  );
  assert.match(preprocessingHtml({}), /No preprocessing recorded/);
});
