/**
 * Registry segmentation datasets in a suite with just `source: registry`, name and dir: an MSD
 * task (3D, dataset.json + imagesTr/labelsTr) and Montgomery (2D, merged lung masks) run through
 * seg-linear on a tiny ViT. The study split is written to `_datasets/<name>/splits.json` with its
 * hash, the test cases scored are exactly the split file's, and the classes come from the release.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeTinyVitCard, writeTinyVitOnnx } from '../../src/models/fixtures/tiny-vit.js';
import { importSplits } from '../../src/data/splits/file.js';
import { parseSuite } from '../../src/run/suite.js';
import { runSuite } from '../../src/run/runner.js';
import { writeDecathlonFixture, writeMontgomeryFixture } from '../data/study-fixtures.js';

const VIT = { size: 32, patchSize: 8, dim: 16, depth: 4, heads: 2 } as const;

test('source: registry segmentation datasets (MSD Hippocampus, Montgomery) run seg-linear with the study split written to a hashed split file', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-registry-seg-'));
  try {
    await writeTinyVitOnnx(path.join(dir, 'vit.onnx'), VIT);
    await writeTinyVitCard(path.join(dir, 'vit.json'), path.join(dir, 'vit.onnx'), VIT);
    await writeDecathlonFixture(path.join(dir, 'data'), { task: 'Task04_Hippocampus', prefix: 'hippocampus', modality: 'MRI', labels: ['background', 'Anterior', 'Posterior'], train: 8, size: [12, 10, 3] });
    await writeMontgomeryFixture(path.join(dir, 'data'), 6, 40, 36);
    const suite = parseSuite(
      {
        seed: 1,
        cacheDir: 'cache',
        resultsDir: 'results',
        bootstrap: { resamples: 0 },
        models: [{ card: 'vit.json' }],
        datasets: [
          { source: 'registry', name: 'msd-hippocampus', dir: 'data/Task04_Hippocampus' },
          { source: 'registry', name: 'montgomery', dir: 'data/MontgomerySet' },
        ],
        protocols: { 'seg-linear': { lr: [1e-2], epochs: 2, batchSize: 8 } },
      },
      'inline',
    );
    const run = await runSuite({ suite: { suite, file: path.join(dir, 'suite.yaml'), baseDir: dir }, log: () => {} });
    assert.equal(run.results.length, 2);
    for (const { result: r } of run.results) {
      const name = r.dataset.name;
      const splitFile = path.join(dir, 'results', '_datasets', name, 'splits.json');
      const sf = await importSplits(splitFile);
      assert.match(sf.sha256, /^[0-9a-f]{64}$/);
      assert.deepEqual([...r.predictions.ids].sort(), [...(sf.splits.test ?? [])].sort(), `${name}: the scored test cases are the split file's`);
      const report = JSON.parse(await fs.readFile(path.join(dir, 'results', '_datasets', name, 'load-report.json'), 'utf8'));
      assert.equal(report.split.sha256, sf.sha256);
      assert.equal(report.source, 'registry');
      if (name === 'msd-hippocampus') {
        // 8 of 260 volumes: test round(8·80/260) = 2, val round(6·60/180) = 2.
        assert.deepEqual(report.splitSizes, { train: 4, val: 2, test: 2 });
        assert.equal(r.dataset.dims, 3);
        assert.deepEqual(Object.keys(r.predictions.cases![0].dice).length, 3, 'background, Anterior, Posterior');
      } else {
        // 6 of 138 patients: test round(6·40/138) = 2, val round(4·20/98) = 1.
        assert.deepEqual(report.splitSizes, { train: 3, val: 1, test: 2 });
        assert.equal(r.dataset.dims, 2);
      }
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('dinov2-radiology plans all nine study datasets; without the data it stops before any work, listing every missing folder', async () => {
  const { loadSuite } = await import('../../src/run/suite.js');
  const { requireSuiteData } = await import('../../src/run/preflight.js');
  const { resolveRunLocation } = await import('../../src/run/resources.js');
  const { MedprobeError } = await import('../../src/util/errors.js');
  const loaded = await loadSuite('dinov2-radiology', { models: [path.resolve('examples/models/mobilenetv2-035-imagenet.yaml')] });
  const kinds = loaded.suite.datasets.map((d) => `${d.name}:${d.source}`);
  assert.deepEqual(kinds, ['nih-chestxray14:registry', 'chexpert:registry', 'sars-cov-2-ct:registry', 'brain-tumor:registry', 'montgomery:segmentation', 'amos:segmentation', 'msd-spleen:segmentation', 'msd-hippocampus:segmentation', 'msd-heart:segmentation']);
  const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-dinov2-radiology-'));
  try {
    await assert.rejects(
      requireSuiteData(resolveRunLocation({ ...loaded, baseDir: empty }, { cacheDir: path.join(empty, 'cache') })),
      (e: unknown) => e instanceof MedprobeError && /missing 9 of its 9 dataset\(s\)/.test(e.message) && /msd-hippocampus/.test(e.message) && /medicaldecathlon\.com/.test(e.oneLine()),
    );
  } finally {
    await fs.rm(empty, { recursive: true, force: true });
  }
});
