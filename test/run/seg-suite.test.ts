/**
 * Segmentation protocols as a suite runs them: a DRIVE-layout dataset (2D, tiled) and NIfTI
 * image/label pairs (3D, slice by slice, scored per volume) with seg-linear and seg-unet on a
 * tiny ViT, through the plan and the local runner. Checks the per-case scores against an
 * independent recount from the written prediction masks, the lr grid's val scores, reuse on a
 * rerun, and seg-fewshot's tries (bad input: test/cli/seg-bad-input.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { readNifti } from '../../src/data/nifti/read.js';
import { loadDrive } from '../../src/data/segmentation/drive.js';
import { parseSuite } from '../../src/run/suite.js';
import { planSuite, runSuite } from '../../src/run/runner.js';
import type { Result } from '../../src/results/schema.js';
import { fewShotOf } from '../../src/report/figure-inputs.js';
import { driveEntry, pairsEntry, segSuiteObject, VOLUME_IDS, VOLUMES, writeDriveLike, writeVit, writeVolumes } from './seg-fixture.js';

function suiteOf(dir: string, datasets: unknown[], protocols?: Record<string, unknown>) {
  const suite = parseSuite(segSuiteObject(datasets, protocols), 'inline');
  return { suite, file: path.join(dir, 'suite.yaml'), baseDir: dir };
}

/** Dice and Jaccard of class 1 counted directly from two label arrays (only where `inside`). */
function overlap(pred: ArrayLike<number>, truth: ArrayLike<number>, inside?: ArrayLike<number>): { dice: number; iou: number; tp: number; fp: number; fn: number } {
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < truth.length; i++) {
    if (inside && !inside[i]) continue;
    const p = pred[i] !== 0, t = truth[i] !== 0;
    if (p && t) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  return { dice: (2 * tp) / (2 * tp + fp + fn), iou: tp / (tp + fp + fn), tp, fp, fn };
}

function strip(r: Result): unknown {
  const j = JSON.parse(JSON.stringify(r));
  delete j.provenance.startedAt;
  delete j.provenance.wallSeconds;
  delete j.provenance.host;
  return j;
}

test('seg-linear and seg-unet in a suite: DRIVE tiles and NIfTI volumes, lr chosen on val, per-case Dice/Jaccard, reuse on rerun', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-seg-suite-'));
  try {
    await writeVit(dir);
    await writeDriveLike(path.join(dir, 'drive'), { training: 5, test: 2 });
    await writeVolumes(path.join(dir, 'msd'), VOLUME_IDS);
    const loaded = suiteOf(dir, [driveEntry(), pairsEntry('msd')]);

    const plan = await planSuite({ suite: loaded });
    // one extraction unit per split (all maps at once), one eval unit per protocol, per dataset
    assert.equal(plan.extract.length, 6);
    assert.deepEqual(plan.eval.map((u) => `${u.datasetName}/${u.protocol}`).sort(), ['drive/seg-linear', 'drive/seg-unet', 'vols/seg-linear', 'vols/seg-unet']);

    // run --limit 1: one case per split, whole volumes and images, under another fingerprint
    const limited = await planSuite({ suite: loaded, limit: 1 });
    assert.ok(limited.extract.every((u) => u.splitSize === 1));
    assert.ok(limited.extract.every((u) => !plan.extract.some((v) => v.key === u.key)), 'a limited run never shares feature entries with the full one');

    const lines: string[] = [];
    const first = await runSuite({ suite: loaded, log: (l) => lines.push(l) });
    assert.equal(first.results.length, 4);
    // The run-level progress counts segmentation extraction too: every grid extracted, the last unit ends the run.
    assert.ok(lines.every((l) => !/run 0 % extracted/.test(l)), lines.join('\n'));
    assert.match(lines[lines.length - 1], /^done .* · run complete$/);
    for (const { result: r, file } of first.results) {
      const where = `${r.dataset.name}/${r.protocol.name}`;
      assert.equal(r.selection.split, 'val', where);
      const lrs = (loaded.suite.protocols[r.protocol.name as 'seg-linear'] as { lr: number[] }).lr;
      assert.deepEqual(r.selection.candidates.map((c) => c.params.lr), lrs, `${where}: every candidate recorded`);
      assert.ok(r.selection.candidates.every((c) => typeof c.score === 'number' && c.score >= 0 && c.score <= 1), `${where}: every candidate has a val score`);
      const best = Math.max(...r.selection.candidates.map((c) => c.score as number));
      assert.equal(r.selection.candidates.find((c) => c.score === best)!.params.lr, r.selection.chosen.lr, `${where}: the chosen lr has the best val score`);
      assert.match(String((r.protocol.config as Record<string, unknown>).emptyTruthPolicy), /never scored as Dice 1/);

      const cases = r.predictions.cases!;
      const pooled = { tp: 0, fp: 0, fn: 0 };
      assert.equal(cases.length, 2, `${where}: one score per test case`);
      assert.deepEqual(r.predictions.ids, r.dataset.dims === 2 ? ['01', '02'] : ['vol_005', 'vol_006']);
      for (const c of cases) {
        const [d, j] = [c.dice[1] as number, c.iou![1] as number];
        assert.ok(Math.abs(c.diceJaccard![1]! - (d + j) / 2) < 1e-12);
        // Recount Dice/Jaccard from the written prediction and the truth on disk.
        const maskFile = path.resolve(path.dirname(file), c.mask!);
        const id = r.predictions.ids[cases.indexOf(c)];
        let ref;
        if (r.dataset.dims === 2) {
          const png = PNG.sync.read(await fs.readFile(maskFile));
          const pred = Uint8Array.from({ length: png.width * png.height }, (_, p) => png.data[4 * p]);
          const truth = (await loadDrive(path.join(dir, 'drive'), 'test')).cases.find((k) => k.id === id)!;
          ref = overlap(pred, truth.mask, truth.fov);
        } else {
          const pred = await readNifti(maskFile);
          const truth = await readNifti(path.join(dir, 'msd', 'labelsTr', `${id}.nii.gz`));
          assert.deepEqual([pred.width, pred.height, pred.depth], [truth.width, truth.height, truth.depth], 'prediction on the label grid');
          ref = overlap(pred.data, truth.data);
        }
        for (const k of ['tp', 'fp', 'fn'] as const) pooled[k] += ref[k];
        assert.ok(Math.abs(ref.dice - d) < 1e-9, `${where} ${id}: Dice ${d} vs recount ${ref.dice}`);
        assert.ok(Math.abs(ref.iou - j) < 1e-9, `${where} ${id}: Jaccard ${j} vs recount ${ref.iou}`);
      }
      const mean = cases.reduce((a, c) => a + c.diceJaccard![1]!, 0) / cases.length;
      assert.ok(Math.abs((r.metrics.diceJaccard as number) - mean) < 1e-12, `${where}: headline = mean over cases`);
      assert.ok(r.ci?.diceJaccard, `${where}: bootstrap CI over cases`);
      const pooledDice = (2 * pooled.tp) / (2 * pooled.tp + pooled.fp + pooled.fn);
      assert.ok(Math.abs((r.metrics.dicePooled as number) - pooledDice) < 1e-9, `${where}: pooled Dice ${r.metrics.dicePooled} vs recount ${pooledDice}`);
      assert.ok(Math.abs((r.metrics.iouPooled as number) - pooled.tp / (pooled.tp + pooled.fp + pooled.fn)) < 1e-9);
      // provenance names the model and every data file relative to the suite's folder
      const files = Object.keys(r.provenance.files);
      assert.ok(files.includes('vit.onnx'), `${where}: ${files.join(' ')}`);
      assert.ok(files.includes(r.dataset.dims === 2 ? 'drive/test/1st_manual/01_manual1.gif' : 'msd/labelsTr/vol_005.nii.gz'), `${where}: ${files.join(' ')}`);
      assert.ok(files.every((f) => !path.isAbsolute(f)));
    }
    // the features were extracted once and read by both decoders
    const lin = first.results.find((r) => r.result.protocol.name === 'seg-linear' && r.result.dataset.dims === 3)!.result;
    const unet = first.results.find((r) => r.result.protocol.name === 'seg-unet' && r.result.dataset.dims === 3)!.result;
    assert.deepEqual(lin.provenance.featureCacheKeys, unet.provenance.featureCacheKeys);

    // A rerun plans nothing to do and leaves the results byte-identical apart from timings.
    const before = await Promise.all(first.results.map(async (r) => fs.readFile(r.file, 'utf8')));
    const replan = await planSuite({ suite: loaded });
    assert.ok(replan.extract.every((u) => u.cached) && replan.eval.every((u) => u.done), 'rerun reuses features and results');
    const second = await runSuite({ suite: loaded, log: () => {} });
    const after = await Promise.all(first.results.map(async (r) => fs.readFile(r.file, 'utf8')));
    assert.deepEqual(after, before);
    assert.deepEqual(second.results.map((r) => strip(r.result)), first.results.map((r) => strip(r.result)));

    // Same suite in a fresh cache and results folder: identical numbers (seeded augmentation and shuffles).
    const fresh = await runSuite({ suite: loaded, cacheDir: path.join(dir, 'cache2'), resultsDir: path.join(dir, 'results2'), log: () => {} });
    const numbers = (rs: typeof first.results) => rs.map((r) => [r.result.metrics, r.result.selection, r.result.predictions.cases!.map((c) => c.dice)]);
    assert.deepEqual(numbers(fresh.results), numbers(first.results));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('seg-fewshot: n training volumes × tries, each try draws its own volumes and chooses its lr on val', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-seg-few-'));
  try {
    await writeVit(dir);
    await writeVolumes(path.join(dir, 'msd'), VOLUME_IDS);
    const loaded = suiteOf(dir, [pairsEntry('msd')], { 'seg-fewshot': { lr: [1e-2, 5e-2], epochs: 2, batchSize: 8, shots: [1, 2, 5], tries: 2 } });
    const { results } = await runSuite({ suite: loaded, log: () => {} });
    assert.equal(results.length, 1);
    const r = results[0].result;
    const few = r.extra!.fewShot as {
      points: { shots: number; tries: { cases: string[]; chosen: { lr: number }; metrics: Record<string, number | null> }[]; mean: Record<string, number | null> }[];
      skipped: { shots: number; reason: string }[];
    };
    assert.deepEqual(few.points.map((p) => p.shots), [1, 2]);
    assert.deepEqual(few.skipped.map((s) => s.shots), [5], 'n above the 3 training volumes is skipped with its reason');
    for (const p of few.points) {
      assert.equal(p.tries.length, 2);
      for (const t of p.tries) {
        assert.equal(t.cases.length, p.shots);
        assert.ok(t.cases.every((c) => (VOLUMES.train as readonly string[]).includes(c)), 'draws only training volumes');
        assert.ok([1e-2, 5e-2].includes(t.chosen.lr));
      }
      const mean = (p.tries[0].metrics.diceJaccard! + p.tries[1].metrics.diceJaccard!) / 2;
      assert.ok(Math.abs(p.mean.diceJaccard! - mean) < 1e-12);
    }
    assert.equal(r.metrics.diceJaccard, few.points[1].mean.diceJaccard, 'headline: the largest n');
    // The site's few-shot figure reads this output: one curve for the decoder, by the main score.
    assert.deepEqual(fewShotOf(r, results[0].file, 'diceJaccard').map((c) => [c.label, c.metric, c.points.map((p) => [p.shots, p.mean])]), [
      ['seg-linear', 'diceJaccard', few.points.map((p) => [p.shots, p.mean.diceJaccard])],
    ]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
