import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listCatalog } from '../../src/models/catalog/index.js';
import { builtinSiteCatalog } from '../../src/report/builtin-catalog.js';
import { matchCatalogEntries, siteEntryFromCatalog, type CatalogCardLike } from '../../src/report/catalog.js';

// Shaped like a src/models/catalog card (DINOv2 ViT-S/14 there); the verdict as assessOpenness gives it:
// weights open 2 + code open 1 + data closed 0 + no restriction 1 = 4 of 5 → 80, class open-weights.
const card: CatalogCardLike = {
  id: 'dinov2-vits14',
  name: 'DINOv2 ViT-S/14',
  organisation: 'Meta AI (FAIR)',
  architecture: 'ViT-S/14 (ViT)',
  featureReadout: 'CLS token',
  hubId: 'facebook/dinov2-small',
  params: { value: 21_000_000 },
  pretraining: { method: 'distilled from DINOv2 ViT-g/14', data: 'LVD-142M', images: { value: 142_000_000 } },
  licence: { value: 'Apache-2.0' },
  citation: { title: 'DINOv2: Learning Robust Visual Features without Supervision', venue: 'TMLR', year: 2024, arxiv: '2304.07193' },
  released: { value: '2023-04' },
  openness: { weights: 'open', trainingCode: 'open', trainingData: 'closed', licenceRestriction: 'none', evidence: 'LVD-142M was never released.' },
  localCards: ['examples/models/dinov2-small-onnx.yaml'],
};
const verdict = { class: 'open-weights', score: 80, points: { weights: 2, trainingCode: 1, trainingData: 0, licence: 1 } };

test('siteEntryFromCatalog maps sourced values and spells out the openness points', () => {
  const c = siteEntryFromCatalog(card, verdict);
  assert.equal(c.name, 'DINOv2 ViT-S/14');
  assert.deepEqual(c.aliases, ['dinov2-vits14', 'facebook/dinov2-small', 'dinov2-small', 'dinov2-small-onnx']);
  assert.equal(c.params, 21_000_000);
  assert.equal(c.pretrainingImages, 142_000_000);
  assert.equal(c.url, 'https://arxiv.org/abs/2304.07193');
  assert.deepEqual(c.openness, {
    class: 'open-weights',
    score: 80,
    rule: 'weights open 2 + training code open 1 + training data closed 0 + licence restriction none 1 = 4 of 5 → 80. LVD-142M was never released.',
  });
  const unknown = siteEntryFromCatalog({ ...card, params: { value: null }, licence: { value: null }, released: { value: null } }, verdict);
  assert.equal(unknown.params, undefined);
  assert.equal(unknown.licence, undefined);
  assert.equal(unknown.releaseDate, undefined);
});

test('matchCatalogEntries pairs cards with result model names through aliases', () => {
  const c = siteEntryFromCatalog(card, verdict);
  const other = { name: 'Lonely card' };
  const m = matchCatalogEntries([c, other], ['Dinov2-Small', 'mobilenet']);
  assert.deepEqual([...m.keys()], ['Dinov2-Small', 'Lonely card']);
  assert.equal(m.get('Dinov2-Small'), c);
});

test('builtinSiteCatalog: every shipped catalog card maps; the MobileNetV2 card matches the shipped model name', () => {
  const cards = builtinSiteCatalog();
  assert.equal(cards.length, listCatalog().length);
  for (const c of cards) {
    assert.ok(c.openness && /= [\d.]+ of 5 → \d+\./.test(c.openness.rule), c.name);
    assert.ok(c.params === undefined || c.params > 0);
  }
  // examples/models/mobilenetv2-035-imagenet.yaml names its model 'mobilenetv2-035-imagenet'.
  const m = matchCatalogEntries(cards, ['mobilenetv2-035-imagenet']);
  assert.match(m.get('mobilenetv2-035-imagenet')?.name ?? 'none', /MobileNetV2/);
});
