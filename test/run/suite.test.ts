import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSuite } from '../../src/run/suite.js';
import { MedprobeError } from '../../src/util/errors.js';

const valid = {
  models: [{ card: 'm.yaml' }],
  datasets: [{ source: 'medmnist', name: 'pneumoniamnist', file: 'p.npz' }],
  protocols: { knn: {}, linear: { epochs: 5 } },
};

test('a valid suite gets the documented defaults', () => {
  const s = parseSuite(valid, 's.yaml');
  assert.equal(s.seed, 0);
  assert.deepEqual(s.protocols.knn!.k, [10, 20, 100, 200]);
  assert.equal(s.protocols.knn!.temperature, 0.07);
  assert.equal(s.protocols.linear!.epochs, 5);
  const d = s.datasets[0];
  assert.equal(d.source === 'medmnist' ? d.size : undefined, 28);
});

test('a typo’d key is a one-line error naming the key, the file and a suggestion', () => {
  assert.throws(
    () => parseSuite({ ...valid, protocls: {} }, 'suite.yaml'),
    (e: unknown) => e instanceof MedprobeError && /unknown key 'protocls'/.test(e.message) && /suite\.yaml/.test(e.message) && /did you mean 'protocols'/.test(e.oneLine()) && !e.oneLine().includes('\n'),
  );
  assert.throws(() => parseSuite({ ...valid, protocols: { knn: { kk: [1] } } }, 'suite.yaml'), /unknown key 'kk' at protocols\.knn/);
  assert.throws(() => parseSuite({ ...valid, protocols: { knnn: {} } }, 'suite.yaml'), (e: unknown) => e instanceof MedprobeError && /did you mean 'knn'/.test(e.oneLine()));
});

test('a model entry needs exactly one of card or hub', () => {
  assert.throws(() => parseSuite({ ...valid, models: [{}] }, 's.yaml'), /exactly one of `card` or `hub`/);
  assert.throws(() => parseSuite({ ...valid, models: [{ card: 'a', hub: 'b' }] }, 's.yaml'), /exactly one/);
});
