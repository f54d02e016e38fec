import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readResultFile } from '../../src/results/store.js';
import { resultPath, writeResult } from '../../src/results/write.js';
import { MedprobeError } from '../../src/util/errors.js';
import { makeResult } from '../results/make-result.js';

test('a metric outside its range is refused on write (nothing written) and on read; a rounding hair is not', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-bounds-'));
  try {
    const bad = makeResult({ model: 'net', dataset: 'toy', protocol: 'knn', metrics: { auroc: 1.2, mcc: 0.5 } });
    await assert.rejects(writeResult(dir, bad), (e: unknown) => e instanceof MedprobeError && /refusing to write result .*knn\.json: metrics\.auroc: auroc = 1\.2 is outside its range \[0, 1\]/.test(e.oneLine()));
    await assert.rejects(fs.access(resultPath(dir, 'net', 'toy', 'knn')));
    const lowHigh = makeResult({ model: 'net', dataset: 'toy', protocol: 'knn', metrics: { auroc: 0.8 }, ci: { auroc: { low: 0.9, high: 0.7 } } });
    await assert.rejects(writeResult(dir, lowHigh), /ci\.auroc: interval low 0\.9 > high 0\.7/);

    const file = await writeResult(dir, makeResult({ model: 'net', dataset: 'toy', protocol: 'knn', metrics: { auroc: 1 + 2e-16, mcc: -1 } }));
    const edited = JSON.parse(await fs.readFile(file, 'utf8'));
    edited.metrics.mcc = -1.5;
    await fs.writeFile(file, JSON.stringify(edited));
    await assert.rejects(readResultFile(file), (e: unknown) => e instanceof MedprobeError && /metrics\.mcc: mcc = -1\.5 is outside its range \[-1, 1\]/.test(e.oneLine()));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
