import { test } from 'node:test';
import assert from 'node:assert/strict';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { Preprocessing } from '../../src/report/html/preprocessing.js';

test('Preprocessing: shared fields once, differing fields per model, steps as a list, text escaped', () => {
  const html = renderToString(
    h(Preprocessing, {
      uses: [
        { models: ['a'], recipe: { recipe: 'ct-<default>', size: 224, steps: [{ op: 'window', range: [-1024, 600] }, { op: 'normalize', rescale: 1 / 255 }] } },
        { models: ['b', 'c'], recipe: { recipe: 'ct-<default>', size: 518, steps: [{ op: 'window', range: [-1024, 600] }, { op: 'normalize', rescale: 1 / 255 }] } },
      ],
    }),
  );
  assert.equal(
    html,
    '<dl class="facts"><dt>recipe</dt><dd>ct-&lt;default></dd><dt>steps</dt><dd><ol class="steps"><li><code>window</code> range=[-1024,600]</li>' +
      '<li><code>normalize</code> rescale=0.00392157</li></ol></dd></dl>' +
      '<div class="table-wrap"><table class="recipes"><caption>Fields that differ between the models\' recipes</caption>' +
      '<thead><tr><th scope="col">Models</th><th scope="col">size</th></tr></thead>' +
      '<tbody><tr><th scope="row">a</th><td>224</td></tr><tr><th scope="row">b, c</th><td>518</td></tr></tbody></table></div>',
  );
  assert.match(renderToString(h(Preprocessing, { uses: [] })), /No preprocessing recorded/);
});
