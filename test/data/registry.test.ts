import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MedprobeError } from '../../src/util/errors.js';
import { REGISTRY, doctorDataset, registryEntry } from '../../src/data/registry/index.js';

let tmp = '';
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'medprobe-registry-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function touch(file: string, content = ''): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

test('the registry holds the study\'s nine datasets with sources for every entry', () => {
  assert.deepEqual(REGISTRY.map((d) => d.name), ['nih-chestxray14', 'chexpert', 'montgomery', 'sars-cov-2-ct', 'amos', 'msd-spleen', 'msd-hippocampus', 'msd-heart', 'brain-tumor']);
  for (const d of REGISTRY) {
    assert.match(d.download, /^https?:\/\//, d.name);
    assert.ok(d.citation.length > 20 && d.license.length > 0 && d.layout.length > 0 && d.labels.length >= 2, d.name);
  }
  assert.equal(registryEntry('nih-chestxray14').labels.length, 14);
  assert.deepEqual(registryEntry('brain-tumor').labels, ['meningioma', 'glioma', 'pituitary']);
  assert.throws(() => registryEntry('imagenet'), (e: unknown) => e instanceof MedprobeError && /unknown dataset 'imagenet'/.test(e.message) && /chexpert/.test(e.hint ?? ''));
});

test('doctor: a complete fake NIH folder passes, with a count warning against the official release', async () => {
  const dir = path.join(tmp, 'nih');
  await touch(path.join(dir, 'Data_Entry_2017_v2020.csv'), 'Image Index,Finding Labels,Follow-up #,Patient ID\n00000001_000.png,Cardiomegaly,0,1\n');
  await touch(path.join(dir, 'train_val_list.txt'), '00000001_000.png\n');
  await touch(path.join(dir, 'test_list.txt'), '00000002_000.png\n');
  await touch(path.join(dir, 'images', '00000001_000.png'));
  await touch(path.join(dir, 'images', '00000002_000.png'));
  const r = await doctorDataset('nih-chestxray14', dir);
  assert.equal(r.ok, true, r.problems.join('; '));
  assert.deepEqual(r.checks.map((c) => c.found), [1, 1, 1, 2]);
  assert.deepEqual(r.warnings, ['images/*.png: 2 of the 112120 files in the official release']);
});

test('doctor says exactly what is missing: folders, files, CSV columns', async () => {
  const dir = path.join(tmp, 'nih-broken');
  await touch(path.join(dir, 'Data_Entry_2017.csv'), 'Image Index,Labels\n');
  await touch(path.join(dir, 'test_list.txt'));
  const r = await doctorDataset('nih-chestxray14', dir);
  assert.equal(r.ok, false);
  assert.deepEqual(r.problems, [
    "Data_Entry_2017.csv lacks column(s) 'Finding Labels', 'Patient ID' (has: Image Index, Labels)",
    'missing train_val_list.txt: found 0, need at least 1 (official train+val image list)',
    'images/ not found — expected images/*.png (the X-rays (extract images_001…012.tar.gz here))',
  ]);
  const none = await doctorDataset('chexpert', path.join(tmp, 'does-not-exist'));
  assert.equal(none.ok, false);
  assert.match(none.problems[0], /is not a folder — download CheXpert from https:\/\/stanfordmlgroup/);
});

test('doctor: CheXpert nested patient/study folders, MSD with macOS ._ files ignored', async () => {
  const cx = path.join(tmp, 'CheXpert-v1.0-small');
  const cols = 'Path,Sex,Age,Frontal/Lateral,AP/PA,No Finding,Cardiomegaly,Edema,Consolidation,Atelectasis,Pleural Effusion\n';
  await touch(path.join(cx, 'train.csv'), cols);
  await touch(path.join(cx, 'valid.csv'), cols);
  await touch(path.join(cx, 'train', 'patient00001', 'study1', 'view1_frontal.jpg'));
  await touch(path.join(cx, 'valid', 'patient64541', 'study1', 'view1_frontal.jpg'));
  await touch(path.join(cx, 'valid', 'stray.jpg')); // not in a patient/study folder: not counted
  const r = await doctorDataset('chexpert', cx);
  assert.equal(r.ok, true, r.problems.join('; '));
  assert.deepEqual(r.checks.map((c) => c.found), [1, 1, 1, 1]);

  const hip = path.join(tmp, 'Task04_Hippocampus');
  await touch(path.join(hip, 'dataset.json'), '{}');
  await touch(path.join(hip, 'imagesTr', 'hippocampus_001.nii.gz'));
  await touch(path.join(hip, 'imagesTr', '._hippocampus_001.nii.gz'));
  const h = await doctorDataset('msd-hippocampus', hip);
  assert.equal(h.ok, false);
  assert.deepEqual(h.problems, ['labelsTr/ not found — expected labelsTr/*.nii.gz (training label maps)']);
  assert.equal(h.checks[1].found, 1);
  assert.ok(h.warnings.some((w) => /1 macOS '\._\*' file\(s\) under imagesTr\/ ignored/.test(w)));
  // imagesTs is optional: absent is fine
  assert.equal(h.checks[3].ok, true);
});
