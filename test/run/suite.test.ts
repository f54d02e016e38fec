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

test('shipped suites load by name, need a model, and list every missing dataset with its fix', async () => {
  const { loadSuite } = await import('../../src/run/suite.js');
  const { requireSuiteData } = await import('../../src/run/preflight.js');
  const { resolveRunLocation } = await import('../../src/run/resources.js');
  const os = await import('node:os');
  const path = await import('node:path');
  const card = path.resolve('examples/models/mobilenetv2-035-imagenet.yaml');
  await assert.rejects(loadSuite('medmnist-2d'), (e: unknown) => e instanceof MedprobeError && /names no model.*--model/.test(e.oneLine()));
  const two = await loadSuite('medmnist-2d', { models: [card], medmnistSize: 64 });
  assert.equal(two.suite.datasets.length, 12);
  assert.ok(two.suite.datasets.every((d) => d.source === 'medmnist' && d.size === 64));
  assert.deepEqual(two.suite.models, [{ card }]);
  const three = await loadSuite('medmnist-3d', { models: [card] });
  assert.equal(three.suite.datasets.length, 6);
  const empty = path.join(os.tmpdir(), 'medprobe-empty-cache-for-preflight');
  await assert.rejects(
    requireSuiteData(resolveRunLocation(two, { cacheDir: empty })),
    (e: unknown) => e instanceof MedprobeError && /missing 12 of its 12/.test(e.message) && /medprobe data pull chestmnist --size 64/.test(e.oneLine()),
  );
  await assert.rejects(loadSuite('no-such-suite'), (e: unknown) => e instanceof MedprobeError && /shipped suite: .*medmnist-2d/.test(e.oneLine()));
});

test('a suite naming an unknown protocol is rejected with the valid names', () => {
  assert.throws(() => parseSuite({ ...valid, protocols: { knn: {}, svm: {} } }, 's.yaml'), (e: unknown) => e instanceof MedprobeError && /unknown key 'svm'/.test(e.message) && /knn, linear, mlknn, fewshot/.test(e.oneLine()));
});
