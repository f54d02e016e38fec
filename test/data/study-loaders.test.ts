/**
 * The study's registry loaders on fixtures in each dataset's exact official layout: labels,
 * splits, orientation, partial downloads (stop with count + first missing file, or skip and
 * report) and bad input (missing list file, a .mat without cjdata).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { registryEntry } from '../../src/data/registry/index.js';
import { loadNihChestXray14 } from '../../src/data/registry/loaders/nih-chestxray14.js';
import { loadChexpert } from '../../src/data/registry/loaders/chexpert.js';
import { loadBrainTumor, readBrainTumorSlice } from '../../src/data/registry/loaders/brain-tumor.js';
import { loadSarsCov2Ct } from '../../src/data/registry/loaders/sars-cov-2-ct.js';
import { medprobeError, withTempDir } from '../helpers/assertions.js';
import { writeMatV73, matVar } from './mat-fixture.js';
import { writeBrainTumorFixture, writeChexpertFixture, writeNihFixture, writeSarsPatientFixture, writeSarsSliceFixture } from './study-fixtures.js';

const skip = { onError: 'skip' } as const;
const stop = { onError: 'stop' } as const;

test('every classification dataset of the registry has a loader function; segmentation ones say so with null', () => {
  for (const name of ['nih-chestxray14', 'chexpert', 'sars-cov-2-ct', 'brain-tumor']) assert.equal(typeof registryEntry(name).loader, 'function', name);
  for (const name of ['montgomery', 'amos', 'msd-spleen', 'msd-hippocampus', 'msd-heart']) assert.equal(registryEntry(name).task, 'segmentation');
});

test('NIH: official lists give test; val is every 10th train_val patient; labels from Finding Labels', async () => {
  await withTempDir('nih', async (dir) => {
    const { testIds } = await writeNihFixture(dir, 20);
    const l = await loadNihChestXray14(dir, stop);
    const a = l.split.assignment;
    assert.deepEqual(a.test?.map((id) => path.posix.basename(id)).sort(), [...testIds].sort());
    assert.equal((a.train?.length ?? 0) + (a.val?.length ?? 0), 40 - testIds.length);
    assert.equal(a.val?.length, 4); // 15 train_val patients → round(1.5) = 2 patients × 2 images
    const trainPatients = new Set(l.dataset.splits.train!.patientIds);
    for (const p of l.dataset.splits.val!.patientIds!) assert.ok(!trainPatients.has(p), 'val patients are not in train');
    // 00000001_000.png: (1 + 0) % 5 = 1 → 'No Finding'; 00000001_001.png → 'Effusion|Infiltration'.
    const ids = l.dataset.splits.train!.ids.concat(l.dataset.splits.val!.ids);
    const all = [...l.dataset.splits.train!.ids.map((id, i) => [id, l.dataset.splits.train!.labels.subarray(i * 14, i * 14 + 14)] as const), ...l.dataset.splits.val!.ids.map((id, i) => [id, l.dataset.splits.val!.labels.subarray(i * 14, i * 14 + 14)] as const)];
    const label = (name: string): number[] => Array.from(all.find(([id]) => id === `images/${name}`)![1]);
    assert.ok(ids.includes('images/00000001_000.png'));
    assert.deepEqual(label('00000001_000.png'), new Array(14).fill(0));
    assert.deepEqual(label('00000001_001.png'), [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const s = await l.dataset.splits.train!.get(0);
    assert.equal(s.image.kind, '2d');
    assert.equal(l.dataset.task.type, 'multi-label');
  });
});

test('NIH partial download: stop names the count and the first missing image; skip runs on the rest and lists them', async () => {
  await withTempDir('nih-partial', async (dir) => {
    await writeNihFixture(dir, 8);
    await fs.rm(path.join(dir, 'images', '00000003_001.png'));
    await fs.rm(path.join(dir, 'images', '00000005_000.png'));
    await assert.rejects(loadNihChestXray14(dir, stop), medprobeError(/nih-chestxray14: 2 of 16 file\(s\) named in Data_Entry_2017_v2020\.csv are missing \(first: images\/00000003_001\.png\)/));
    const l = await loadNihChestXray14(dir, skip);
    assert.equal(l.report.used, 14);
    assert.deepEqual(l.report.skipped.map((s) => s.file), ['images/00000003_001.png', 'images/00000005_000.png']);
    await fs.rm(path.join(dir, 'test_list.txt'));
    await assert.rejects(loadNihChestXray14(dir, skip), medprobeError(/split list not found: .*test_list\.txt/));
  });
});

test('CheXpert: frontal views only (AP in train), release prefix stripped, uncertain policy as an option', async () => {
  await withTempDir('chexpert', async (dir) => {
    await writeChexpertFixture(dir, 16, 6);
    const l = await loadChexpert(dir, stop);
    const all = [...(l.split.assignment.train ?? []), ...(l.split.assignment.val ?? [])];
    assert.equal(all.length, 12); // 16 patients, every 4th is PA → 12 frontal AP
    assert.ok(all.every((id) => /^train\/patient\d+\/study1\/view1_frontal\.jpg$/.test(id)));
    assert.equal(l.split.assignment.test?.length, 6);
    assert.deepEqual(l.dataset.task.labels, ['Cardiomegaly', 'Edema', 'Consolidation', 'Atelectasis', 'Pleural Effusion']);
    // patient00001 (fixture cells): Cardiomegaly -1.0 (uncertain), Edema 0.0, Consolidation/Atelectasis/Effusion blank.
    const find = (ds: typeof l.dataset, id: string): number[] => {
      for (const s of ['train', 'val'] as const) {
        const sp = ds.splits[s];
        const i = sp?.ids.indexOf(id) ?? -1;
        if (sp && i >= 0) return Array.from(sp.labels.subarray(i * 5, i * 5 + 5));
      }
      throw new Error(`no ${id}`);
    };
    const id = 'train/patient00001/study1/view1_frontal.jpg';
    assert.deepEqual(find(l.dataset, id), [0, 0, 0, 0, 0]);
    const ones = await loadChexpert(dir, { onError: 'stop', uncertain: 'one' });
    assert.deepEqual(find(ones.dataset, id), [1, 0, 0, 0, 0]);
    const ignored = await loadChexpert(dir, { onError: 'stop', uncertain: 'ignore-label' });
    assert.deepEqual(find(ignored.dataset, id), [-1, 0, 0, 0, 0]);
    const img = await l.dataset.splits.test!.get(0);
    assert.equal(img.image.kind, '2d');
  });
});

test('Brain Tumor: .mat files read in MATLAB orientation, labels 1–3 → classes, split by PID as the study does', async () => {
  await withTempDir('brain', async (dir) => {
    await writeBrainTumorFixture(dir, 10, 24, 32);
    const slice = await readBrainTumorSlice(path.join(dir, 'brainTumorDataPublic_1-766', '4.mat'));
    assert.equal(slice.image.height, 24);
    assert.equal(slice.image.width, 32);
    assert.equal(slice.pid, '100001');
    assert.equal(slice.label, 1); // file 4 → patient 1 → label 2 (glioma) → index 1
    // The fixture adds a column ramp: pixel (r, c) - pixel (r, c-1) ≡ 1 + 4·Δgrey; along a row the low bits step by 1.
    assert.equal(slice.image.data.length, 24 * 32);
    assert.equal(slice.tumorMask.length, 24 * 32);
    const l = await loadBrainTumor(dir, stop);
    assert.deepEqual(l.dataset.task.labels, ['meningioma', 'glioma', 'pituitary']);
    const sizes = Object.fromEntries(Object.entries(l.split.assignment).map(([k, v]) => [k, v!.length]));
    // 10 patients: test round(10·70/233) = 3 patients, val round(7·50/163) = 2 patients; 3 files each.
    assert.deepEqual(sizes, { train: 15, val: 6, test: 9 });
    assert.deepEqual(l.split.assignment.test?.map((id) => path.posix.basename(id)), ['1.mat', '2.mat', '3.mat', '10.mat', '11.mat', '12.mat', '22.mat', '23.mat', '24.mat']); // np.arange(0, 10, 10/3).round() = 0, 3, 7
    
  });
});

test('Brain Tumor: a .mat without cjdata and a fake .mat fail naming the file; skip lists them', async () => {
  await withTempDir('brain-bad', async (dir) => {
    await writeBrainTumorFixture(dir, 4);
    const odd = path.join(dir, 'brainTumorDataPublic_1-766', '13.mat');
    await writeMatV73(odd, { 'other/image': matVar([2, 2], new Int16Array(4), 'int16') });
    await assert.rejects(loadBrainTumor(dir, stop), medprobeError(/13\.mat has no 'cjdata' struct/, [odd]));
    const fake = path.join(dir, 'brainTumorDataPublic_1-766', '14.mat');
    await fs.writeFile(fake, 'not a mat');
    const l = await loadBrainTumor(dir, skip);
    assert.deepEqual(l.report.skipped.map((s) => s.file), ['brainTumorDataPublic_1-766/13.mat', 'brainTumorDataPublic_1-766/14.mat']);
    assert.equal(l.report.used, 12);
  });
});

test('SARS-CoV-2 CT: the slice release gives 2D slices split by slice (and says so); the 210-patient release gives one volume per patient', async () => {
  await withTempDir('sars', async (dir) => {
    const slices = path.join(dir, 'slices');
    await writeSarsSliceFixture(slices, 12);
    const a = await loadSarsCov2Ct(slices, stop);
    assert.equal(a.dataset.dims, 2);
    assert.ok(a.report.notes.some((n) => /no patient or volume ids/.test(n)));
    assert.equal(Object.values(a.split.assignment).reduce((n, ids) => n + ids!.length, 0), 24);
    assert.equal(a.split.assignment.test?.length, 8); // round(24·70/210)
    const s = await a.dataset.splits.test!.get(0);
    assert.equal(s.image.kind === '2d' && s.image.channels, 1);

    const patients = path.join(dir, 'patients');
    await writeSarsPatientFixture(patients, 6, 3);
    const b = await loadSarsCov2Ct(patients, stop);
    assert.equal(b.dataset.dims, 3);
    assert.equal(b.split.assignment.test?.length, 6); // 18 patients → round(18·70/210)
    const v = await b.dataset.splits.train!.get(0);
    assert.ok(v.image.kind === '3d' && v.image.depth === 3 && v.image.width === 24);
    const labels = [...b.dataset.splits.train!.ids].map((id, i) => [id.split('/')[0], b.dataset.splits.train!.labels[i]]);
    for (const [cls, y] of labels) assert.equal(y, cls === 'Covid' ? 1 : 0);

    await fs.writeFile(path.join(slices, 'COVID', 'Covid (5).png'), '');
    await assert.rejects(loadSarsCov2Ct(slices, stop), medprobeError(/Covid \(5\)\.png: empty file/));
    await assert.rejects(loadSarsCov2Ct(path.join(dir, 'nothing-here'), stop), medprobeError(/is not a folder/));
  });
});
