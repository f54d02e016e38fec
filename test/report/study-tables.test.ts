import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JSDOM } from 'jsdom';
import { buildLeaderboard } from '../../src/results/leaderboard.js';
import { loadResults } from '../../src/results/store.js';
import { buildSite } from '../../src/report/site.js';
import { studyTables } from '../../src/report/study-tables.js';
import { AUROC, XSS_NAME, writeSiteFixture } from './site-fixture.js';

test('studyTables: the study layout (dataset × model rows, a column per protocol), best per dataset marked', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-study-'));
  try {
    await writeSiteFixture(tmp);
    const lb = buildLeaderboard(await loadResults(tmp));
    const [cls, seg] = studyTables(lb);
    assert.equal(cls.kind, 'classification');
    assert.deepEqual(cls.protocols.map((p) => p.name), ['knn', 'linear']);
    assert.deepEqual(cls.datasets.map((d) => d.dataset), ['adrenal-ct', 'brain-mri', 'chest-xray']);
    const brain = cls.datasets.find((d) => d.dataset === 'brain-mri')!;
    // Every model has knn on brain-mri; the XSS model has no linear result there, so its cell is missing.
    const xss = brain.rows.find((r) => r.model === XSS_NAME)!;
    assert.equal(xss.cells[0]!.value, AUROC.knn[XSS_NAME][2]);
    assert.equal(xss.cells[1], null);
    // Best on brain-mri: knn rad-dino 0.72, linear dinov2-small 0.75.
    const best = brain.rows.flatMap((r) => r.best.map((b, j) => (b ? `${cls.protocols[j].name}:${r.model}` : ''))).filter(Boolean).sort();
    assert.deepEqual(best, ['knn:rad-dino', 'linear:dinov2-small']);
    assert.equal(seg.kind, 'segmentation');
    assert.deepEqual(seg.datasets.map((d) => [d.dataset, d.rows.map((r) => r.model)]), [['brain-seg', ['rad-dino', XSS_NAME].sort()]]);

    const out = path.join(tmp, 'site');
    await buildSite(tmp, out, { png: false });
    const doc = new JSDOM(await fs.readFile(path.join(out, 'study-tables.html'), 'utf8')).window.document;
    const headers = [...doc.querySelectorAll('section[data-kind="classification"] thead th')].map((th) => th.textContent);
    assert.deepEqual(headers, ['Dataset', 'Model', 'knnauroc ↑', 'linearauroc ↑']);
    assert.equal(doc.querySelectorAll('section[data-kind="classification"] tbody').length, 3, 'one row group per dataset');
    assert.deepEqual([...doc.querySelectorAll('section[data-kind="segmentation"] td.best strong')].map((s) => s.textContent), ['0.525'], 'best by the seg-unet main score, (Dice+Jaccard)/2');
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
