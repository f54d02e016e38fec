import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadResultFiles, loadResults } from '../../src/results/store.js';
import { MedprobeError } from '../../src/util/errors.js';
import { makeResult } from './make-result.js';
import { withTempDir } from '../helpers/assertions.js';

const withDir = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('store', fn);

async function put(dir: string, rel: string, value: unknown): Promise<void> {
  const f = path.join(dir, rel);
  await fs.mkdir(path.dirname(f), { recursive: true });
  await fs.writeFile(f, typeof value === 'string' ? value : JSON.stringify(value));
}

test('loadResults reads <model>/<dataset>/<protocol>.json in path order and skips non-result files', async () => {
  await withDir(async (dir) => {
    await put(dir, 'm2/ds/knn.json', makeResult({ model: 'm2', dataset: 'ds', protocol: 'knn', metrics: { auroc: 0.7 } }));
    await put(dir, 'm1/ds/linear.json', makeResult({ model: 'm1', dataset: 'ds', protocol: 'linear', metrics: { auroc: 0.8 } }));
    await put(dir, 'leaderboard.json', { schema: 'medprobe.leaderboard/v1' });
    await put(dir, 'm1/notes.json', { any: 1 });
    await put(dir, '_datasets/ds.json', { leakage: {} });
    await put(dir, 'm1/ds/.tmp-knn.json-1-abcd', 'torn');
    await put(dir, '_img_/ds/knn.json', makeResult({ model: '<img>', dataset: 'ds', protocol: 'knn', metrics: { auroc: 0.6 } }));
    const files = await loadResultFiles(dir);
    assert.deepEqual(files.map((f) => f.file), ['_img_/ds/knn.json', 'm1/ds/linear.json', 'm2/ds/knn.json']);
    const results = await loadResults(dir);
    assert.deepEqual(results.map((r) => r.metrics.auroc), [0.6, 0.8, 0.7]);
  });
});

test('loadResults: invalid JSON, schema mismatch and a missing folder are one-line errors naming the file', async () => {
  await withDir(async (dir) => {
    await put(dir, 'm/ds/knn.json', '{"schema": ');
    await assert.rejects(loadResults(dir), (e: unknown) => {
      assert.ok(e instanceof MedprobeError);
      assert.match(e.oneLine(), /m\/ds\/knn\.json is not valid JSON/);
      assert.ok(!e.oneLine().includes('\n'));
      return true;
    });
    const bad = makeResult({ model: 'm', dataset: 'ds', protocol: 'knn', metrics: { auroc: 0.5 } }) as Record<string, unknown>;
    delete (bad as { predictions?: unknown }).predictions;
    await put(dir, 'm/ds/knn.json', bad);
    await assert.rejects(loadResults(dir), /invalid result file .*m\/ds\/knn\.json: predictions:/);
  });
  await assert.rejects(loadResults(path.join(os.tmpdir(), 'medprobe-no-such-dir-xyz')), /results folder not found/);
});
