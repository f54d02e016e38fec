import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getCatalogCard, licenceClass, opennessSubscores } from '../../src/models/catalog/index.js';

test('openness sub-scores (usability, reproducibility) and licence classes, hand-worked', () => {
  // LVM-Med: weights open 2 + non-commercial 0.5 = 2.5 of 3 → 83; code unknown 0 + data partial 0.5 = 0.5 of 2 → 25.
  const lvm = getCatalogCard('lvm-med-vit-b');
  assert.equal(lvm.licence.value, 'CC BY-NC-ND 4.0');
  assert.deepEqual(opennessSubscores(lvm.openness), { usability: 83, reproducibility: 25 });
  assert.equal(licenceClass(lvm.licence.value), 'non-commercial, no derivatives');
  // DINOv2: open 2 + no restriction 1 → 100; code open 1 + data closed 0 → 50.
  assert.deepEqual(opennessSubscores(getCatalogCard('dinov2-vitb14').openness), { usability: 100, reproducibility: 50 });
  const cases: [string | null, string][] = [
    ['Apache-2.0', 'permissive'], ['MIT', 'permissive'], ['BSD-3-Clause (torchvision)', 'permissive'], ['CC BY 4.0', 'permissive'],
    ['CC-BY-NC-4.0', 'non-commercial'], ['CC BY-NC-SA 4.0', 'non-commercial'], ['GPL-3.0', 'copyleft'], ['CC BY-SA 4.0', 'copyleft'],
    ['Microsoft Research License (research use only)', 'research-only'], ['Llama community licence', 'custom'], [null, 'unknown'],
  ];
  for (const [text, cls] of cases) assert.equal(licenceClass(text), cls, String(text));
});
