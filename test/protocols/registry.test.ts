/**
 * The one protocol registry: each protocol's options schema is the only source of its defaults
 * (suite parsing and library calls agree), its main score is a known metric, and a suite's
 * `protocols:` block is exactly the registry's keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOLS, PROTOCOL_NAMES, ProtocolsSchema } from '../../src/protocols/registry.js';
import { METRICS } from '../../src/metrics/names.js';
import { DEFAULT_K_GRID, DEFAULT_KNN_TEMPERATURE } from '../../src/protocols/knn.js';
import { DEFAULT_LR_GRID, DEFAULT_PROBE_BATCH, DEFAULT_PROBE_EPOCHS, DEFAULT_WEIGHT_DECAY_GRID } from '../../src/protocols/linear/index.js';
import { DEFAULT_FEWSHOT_EPOCHS, DEFAULT_SHOTS, DEFAULT_TRIES } from '../../src/protocols/fewshot.js';
import { parseSuite } from '../../src/run/suite.js';

test('every registered protocol declares name, kind, a known main score and defaults from its schema', () => {
  for (const name of PROTOCOL_NAMES) {
    const p = PROTOCOLS[name];
    assert.equal(p.name, name, 'registry key and module name agree');
    assert.ok(Object.hasOwn(METRICS, p.mainScore), `${name}: main score ${p.mainScore} is in metrics/names.ts`);
    assert.ok((METRICS[p.mainScore].kinds as readonly string[]).includes(p.kind), `${name}: ${p.mainScore} is a ${p.kind} metric`);
    assert.deepEqual(p.defaults, p.options.parse({}));
    assert.ok(p.description.length > 10);
  }
});

test('library defaults are the suite defaults (one place): linear epochs, few-shot grids', () => {
  assert.deepEqual(DEFAULT_K_GRID, PROTOCOLS.knn.defaults.k);
  assert.equal(DEFAULT_KNN_TEMPERATURE, PROTOCOLS.knn.defaults.temperature);
  assert.equal(DEFAULT_PROBE_EPOCHS, PROTOCOLS.linear.defaults.epochs);
  assert.equal(DEFAULT_PROBE_BATCH, PROTOCOLS.linear.defaults.batchSize);
  assert.deepEqual(DEFAULT_LR_GRID, PROTOCOLS.linear.defaults.lr);
  assert.deepEqual(DEFAULT_WEIGHT_DECAY_GRID, PROTOCOLS.linear.defaults.weightDecay);
  assert.deepEqual(DEFAULT_SHOTS, PROTOCOLS.fewshot.defaults.shots);
  assert.equal(DEFAULT_TRIES, PROTOCOLS.fewshot.defaults.tries);
  assert.equal(DEFAULT_FEWSHOT_EPOCHS, PROTOCOLS.fewshot.defaults.epochs);
});

test('a suite names protocols by registry key; `{}` gets the module defaults; typos are refused', () => {
  assert.deepEqual(Object.keys(ProtocolsSchema.shape).sort(), [...PROTOCOL_NAMES].sort());
  const suite = parseSuite({ datasets: [{ source: 'medmnist', name: 'pneumoniamnist', file: 'x.npz' }], protocols: { linear: {}, fewshot: { tries: 2 } } }, 'inline');
  assert.deepEqual(suite.protocols.linear, PROTOCOLS.linear.defaults);
  assert.deepEqual(suite.protocols.fewshot, { ...PROTOCOLS.fewshot.defaults, tries: 2 });
  assert.throws(() => parseSuite({ datasets: [{ source: 'medmnist', name: 'p', file: 'x.npz' }], protocols: { linaer: {} } }, 'inline'), (e: unknown) => /did you mean 'linear'/.test(String((e as { hint?: string }).hint)));
  assert.throws(() => parseSuite({ datasets: [{ source: 'medmnist', name: 'p', file: 'x.npz' }], protocols: { linear: { epoch: 3 } } }, 'inline'), /unknown key 'epoch'/);
});
