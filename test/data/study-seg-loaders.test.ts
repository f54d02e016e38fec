/**
 * The study's segmentation datasets (MSD Spleen / Hippocampus / Heart, AMOS) through their
 * registry loaders, on fixtures in the exact MSD layout: labels named from dataset.json, the
 * study's systematic volume split, macOS '._*' files ignored, partial downloads (stop with count +
 * first missing file, or skip and report), a label map on another grid refused naming the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { doctorDataset, registryEntry } from '../../src/data/registry/index.js';
import type { RegistrySegLoad } from '../../src/data/registry/segmentation.js';
import type { NiftiSegPair } from '../../src/data/segmentation/nifti-pair.js';
import { systematicIndices } from '../../src/data/splits/systematic.js';
import { writeNifti } from '../../src/data/nifti/write.js';
import { medprobeError, withTempDir } from '../helpers/assertions.js';
import type { SegCase2D } from '../../src/data/segmentation/types.js';
import { boxMaskPng, writeDecathlonFixture, writeMontgomeryFixture } from './study-fixtures.js';

const skip = { onError: 'skip' } as const;
const stop = { onError: 'stop' } as const;
const open = (name: string, dir: string, o: { onError: 'stop' | 'skip' } = stop): Promise<RegistrySegLoad> => registryEntry(name).segLoader!(dir, o);
const ids = (l: RegistrySegLoad, s: 'train' | 'val' | 'test'): string[] => l.splits[s].map((c) => c.id);

test('every segmentation dataset of the registry has a segmentation loader', () => {
  for (const name of ['montgomery', 'amos', 'msd-spleen', 'msd-hippocampus', 'msd-heart']) assert.equal(typeof registryEntry(name).segLoader, 'function', name);
});

test('MSD Spleen, complete: the study split (15 test, then 10 val of the rest, systematically, file-name order), labels from dataset.json, CT window rule', async () => {
  await withTempDir('msd-spleen', async (dir) => {
    const { root, trainIds } = await writeDecathlonFixture(dir, { task: 'Task09_Spleen', prefix: 'spleen', modality: 'CT', labels: ['background', 'spleen'], train: 41, test: 2, size: [4, 4, 2] });
    const l = await open('msd-spleen', root);
    assert.deepEqual(l.classes, ['background', 'spleen']);
    assert.equal(l.intensity, 'ct');
    assert.equal(l.dims, 3);
    const sorted = [...trainIds].sort();
    const testIdx = systematicIndices(41, 15);
    assert.deepEqual(ids(l, 'test'), testIdx.map((i) => sorted[i]));
    const rest = sorted.filter((_, i) => !testIdx.includes(i));
    assert.deepEqual(ids(l, 'val'), systematicIndices(26, 10).map((i) => rest[i]));
    assert.equal(l.splits.train.length, 16);
    assert.deepEqual(l.report.splitSizes, { train: 16, val: 10, test: 15 });
    assert.equal(l.report.skipped.length, 0);
    assert.ok(l.files.every((f) => !path.basename(f).startsWith('._')), "'._' files are never read");
  });
});

test('MSD Hippocampus, partial: counts scaled to the study fractions; cases decode with labels named from dataset.json; MRI rule', async () => {
  await withTempDir('msd-hipp', async (dir) => {
    const { root } = await writeDecathlonFixture(dir, { task: 'Task04_Hippocampus', prefix: 'hippocampus', modality: 'MRI', labels: ['background', 'Anterior', 'Posterior'], train: 10, test: 1 });
    const l = await open('msd-hippocampus', root);
    assert.deepEqual(l.classes, ['background', 'Anterior', 'Posterior']);
    assert.deepEqual(l.values, [0, 1, 2]);
    assert.equal(l.intensity, 'mri');
    // 10 volumes of the release's 260: test round(10·80/260) = 3, val round(7·60/180) = 2.
    assert.deepEqual(l.report.splitSizes, { train: 5, val: 2, test: 3 });
    assert.match(JSON.stringify(l.split.method), /scaled/);
    const c = l.splits.train[0];
    const pair = (await c.load()) as NiftiSegPair;
    assert.equal(pair.image.width, 8);
    assert.equal(pair.image.height, 7);
    assert.equal(pair.image.depth, 4);
    assert.deepEqual(pair.classes, ['background', 'Anterior', 'Posterior']);
    // The fixture labels the inner box with 1/2 alternating along x + z; check a voxel of each.
    const at = (x: number, y: number, z: number): number => pair.labels[x + 8 * (y + 7 * z)];
    assert.equal(at(0, 0, 0), 0);
    assert.equal(at(2, 2, 0), 1);
    assert.equal(at(3, 2, 0), 2);
    assert.ok(pair.image.data[2 + 8 * 2] > 300, 'labelled voxels are bright');
  });
});

test('MSD partial download: a missing labelsTr file stops with the count and its name; skip drops that case and reports it', async () => {
  await withTempDir('msd-partial', async (dir) => {
    const { root } = await writeDecathlonFixture(dir, { task: 'Task02_Heart', prefix: 'la', modality: 'MRI', labels: ['background', 'left atrium'], train: 6 });
    await fs.rm(path.join(root, 'labelsTr', 'la_004.nii.gz'));
    await assert.rejects(open('msd-heart', root), medprobeError(/msd-heart: 1 of 6 file\(s\) named in dataset\.json training are missing \(first: labelsTr\/la_004\.nii\.gz\)/));
    const l = await open('msd-heart', root, skip);
    assert.equal(l.report.used, 5);
    assert.deepEqual(l.report.skipped.map((s) => s.file), ['labelsTr/la_004.nii.gz']);
    assert.ok(!Object.values(l.splits).flat().some((c) => c.id === 'la_004'));
    await fs.rm(path.join(root, 'dataset.json'));
    await assert.rejects(open('msd-heart', root, skip), medprobeError(/msd-heart: dataset\.json not found/));
  });
});

test('MSD: a label map on another grid is refused naming the file; a folder of another task is refused', async () => {
  await withTempDir('msd-grid', async (dir) => {
    const { root } = await writeDecathlonFixture(dir, { task: 'Task04_Hippocampus', prefix: 'hippocampus', modality: 'MRI', labels: ['background', 'Anterior', 'Posterior'], train: 3 });
    const bad = path.join(root, 'labelsTr', 'hippocampus_002.nii.gz');
    await writeNifti(bad, { kind: '3d', width: 5, height: 5, depth: 5, data: new Uint8Array(125) });
    const l = await open('msd-hippocampus', root);
    const c = Object.values(l.splits).flat().find((x) => x.id === 'hippocampus_002')!;
    await assert.rejects(c.load(), medprobeError(/label map .*hippocampus_002\.nii\.gz .* is not on the grid of/));
    await assert.rejects(open('msd-spleen', root), medprobeError(/msd-spleen: .*dataset\.json describes a MRI task/));
  });
});

test('AMOS: test = the official validation list, val = 40 of 200 CT training scans (scaled), MRI scans (> 500) left out', async () => {
  await withTempDir('amos', async (dir) => {
    const labels = ['background', 'spleen', 'right kidney', 'left kidney'];
    const { root, validationIds } = await writeDecathlonFixture(dir, { task: 'amos22', prefix: 'amos', modality: 'CT', labels, train: 10, validation: 4, extraTrainIds: [507, 508], size: [6, 6, 2] });
    const l = await open('amos', root);
    assert.deepEqual(l.classes, labels);
    assert.deepEqual(ids(l, 'test'), validationIds);
    assert.deepEqual(l.report.splitSizes, { train: 8, val: 2, test: 4 }); // round(10·40/200) = 2
    assert.ok(!Object.values(l.splits).flat().some((c) => /amos_050[78]/.test(c.id)), 'MRI scans are not in any split');
    assert.match(l.report.notes.join(' '), /2 training case\(s\) left out: AMOS numbers its MRI scans above 500/);
    const pair = (await l.splits.test[0].load()) as NiftiSegPair;
    assert.equal(pair.image.header.datatype, 'int16');
  });
});

test('Montgomery: left + right masks merged into one label map (1 left, 2 right), systematic patient split, X-ray decoded as stored', async () => {
  await withTempDir('mc', async (dir) => {
    const { root, names } = await writeMontgomeryFixture(dir, 12);
    const l = await open('montgomery', root);
    assert.deepEqual(l.classes, ['background', 'left lung', 'right lung']);
    assert.equal(l.dims, 2);
    // 12 of the release's 138 patients: test round(12·40/138) = 3, val round(9·20/98) = 2.
    assert.deepEqual(l.report.splitSizes, { train: 7, val: 2, test: 3 });
    assert.deepEqual(ids(l, 'test'), systematicIndices(12, 3).map((i) => names[i].replace('.png', '')));
    const c = (await l.splits.train[0].load()) as SegCase2D;
    assert.equal(c.image.width, 20);
    assert.equal(c.image.height, 24);
    assert.equal(c.image.channels, 1);
    const at = (r: number, col: number): number => c.mask[r * 20 + col];
    assert.equal(at(0, 0), 0);
    assert.equal(at(5, 3), 2, 'rightMask (image left) → right lung');
    assert.equal(at(5, 15), 1, 'leftMask (image right) → left lung');
    assert.equal(c.mask.reduce((a, v) => a + (v === 1 ? 1 : 0), 0), 7 * 20);
    assert.equal(l.splits.train[0].files.length, 3);
  });
});

test('Montgomery: a missing rightMask stops naming it (skip reports it); a mask of another size or overlapping masks are refused naming the file', async () => {
  await withTempDir('mc-bad', async (dir) => {
    const { root } = await writeMontgomeryFixture(dir, 6);
    await fs.rm(path.join(root, 'ManualMask', 'rightMask', 'MCUCXR_0002_0.png'));
    await assert.rejects(open('montgomery', root), medprobeError(/montgomery: 1 of 6 file\(s\) named in CXR_png\/ .* are missing \(first: ManualMask\/rightMask\/MCUCXR_0002_0\.png\)/));
    const l = await open('montgomery', root, skip);
    assert.equal(l.report.used, 5);
    assert.deepEqual(l.report.skipped.map((s) => s.file), ['ManualMask/rightMask/MCUCXR_0002_0.png']);
    await fs.writeFile(path.join(root, 'ManualMask', 'leftMask', 'MCUCXR_0004_0.png'), boxMaskPng(24, 20, 3, 9));
    const c4 = Object.values(l.splits).flat().find((x) => x.id === 'MCUCXR_0004_0')!;
    await assert.rejects(c4.load(), medprobeError(/montgomery: mask .*leftMask.MCUCXR_0004_0\.png is 24×20 but X-ray .*MCUCXR_0004_0\.png is 20×24/));
    await fs.writeFile(path.join(root, 'ManualMask', 'leftMask', 'MCUCXR_0005_0.png'), boxMaskPng(20, 24, 0, 20));
    const c5 = Object.values(l.splits).flat().find((x) => x.id === 'MCUCXR_0005_0')!;
    await assert.rejects(c5.load(), medprobeError(/montgomery: \d+ pixel\(s\) are in both .*leftMask.MCUCXR_0005_0\.png and .*rightMask.MCUCXR_0005_0\.png/));
  });
});

test('doctor with content: a partial MSD download is OK with exact counts; a truncated label map or a fake mask fails naming the file', async () => {
  await withTempDir('doctor-content', async (dir) => {
    const { root } = await writeDecathlonFixture(dir, { task: 'Task04_Hippocampus', prefix: 'hippocampus', modality: 'MRI', labels: ['background', 'Anterior', 'Posterior'], train: 4 });
    const json = JSON.parse(await fs.readFile(path.join(root, 'dataset.json'), 'utf8'));
    json.training.push({ image: './imagesTr/hippocampus_099.nii.gz', label: './labelsTr/hippocampus_099.nii.gz' });
    await fs.writeFile(path.join(root, 'dataset.json'), JSON.stringify(json));
    const ok = await doctorDataset('msd-hippocampus', root, { content: true });
    assert.equal(ok.ok, true, ok.problems.join('; '));
    assert.equal(ok.content!.rows, 5);
    assert.equal(ok.content!.used, 4);
    assert.equal(ok.content!.missing, 1);
    assert.match(ok.warnings.join('\n'), /partial download: 4 of 5 entries .* 1 missing \(first: imagesTr\/hippocampus_099\.nii\.gz\)/);
    assert.deepEqual(ok.content!.splitSizes, { train: 2, val: 1, test: 1 }); // test round(4·80/260) = 1, val round(3·60/180) = 1
    assert.equal(ok.content!.opened.length, 6, 'image + label of the first case of each split');
    const layoutOnly = await doctorDataset('msd-hippocampus', root);
    assert.equal(layoutOnly.content, undefined);

    const first = ok.content!.opened.find((f) => f.startsWith('labelsTr/'))!;
    const bytes = await fs.readFile(path.join(root, first));
    await fs.writeFile(path.join(root, first), bytes.subarray(0, 40));
    const bad = await doctorDataset('msd-hippocampus', root, { content: true });
    assert.equal(bad.ok, false);
    assert.match(bad.problems.join('\n'), new RegExp(first.replace(/[./]/g, '\\$&')));

    const mc = await writeMontgomeryFixture(dir, 4);
    await fs.writeFile(path.join(mc.root, 'ManualMask', 'rightMask', mc.names[1]), '');
    const m = await doctorDataset('montgomery', mc.root, { content: true, all: true });
    assert.equal(m.ok, false);
    assert.match(m.problems.join('\n'), /rightMask.MCUCXR_0002_0\.png is not a PNG or JPEG image/);
  });
});
