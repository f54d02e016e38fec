import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DatasetSource, Sample, SplitSource } from '../../src/data/types.js';
import { MedprobeError } from '../../src/util/errors.js';
import {
  applySplits,
  assertNoPatientOverlap,
  exportSplits,
  fewShotSample,
  fewShotSampleMultiLabel,
  findPatientOverlap,
  importSplits,
  officialSplits,
  parseSplitName,
  randomPatientSplit,
  systematicIndices,
  systematicSplit,
  type FewShotItem,
  type SplitItem,
} from '../../src/data/splits/index.js';

test('systematicIndices reproduces np.arange(0, n, n/m).round() (half-to-even included)', () => {
  // numpy 2.4: np.arange(0,n,n/m).round().astype(int) → length, sum, first 8, last 3
  const ref: Array<[number, number, number, number[], number[]]> = [
    [233, 70, 8038, [0, 3, 7, 10, 13, 17, 20, 23], [223, 226, 230]],
    [163, 50, 3994, [0, 3, 7, 10, 13, 16, 20, 23], [153, 156, 160]],
    [210, 70, 7245, [0, 3, 6, 9, 12, 15, 18, 21], [201, 204, 207]],
    [140, 50, 3430, [0, 3, 6, 8, 11, 14, 17, 20], [132, 134, 137]],
  ];
  for (const [n, m, sum, head, tail] of ref) {
    const idx = systematicIndices(n, m);
    assert.equal(idx.length, m);
    assert.equal(idx.reduce((a, b) => a + b, 0), sum);
    assert.deepEqual(idx.slice(0, 8), head);
    assert.deepEqual(idx.slice(-3), tail);
  }
  assert.deepEqual(systematicIndices(10, 4), [0, 2, 5, 8]); // 2.5 → 2, 7.5 → 8
  assert.deepEqual(systematicIndices(7, 2), [0, 4]); // 3.5 → 4
  assert.throws(() => systematicIndices(3, 4), RangeError);
});

test('systematicSplit takes test then val patients systematically, never splitting a patient', () => {
  // 10 patients p0..p9 with 2 images each
  const items: SplitItem[] = [];
  for (let p = 0; p < 10; p++) for (let k = 0; k < 2; k++) items.push({ id: `p${p}_${k}`, patientId: `p${p}` });
  const a = systematicSplit(items, { test: 4, val: 2 });
  // test patients: positions [0,2,5,8] → p0,p2,p5,p8; remaining p1,p3,p4,p6,p7,p9: val positions [0,3] → p1,p6
  assert.deepEqual(a.test, ['p0_0', 'p0_1', 'p2_0', 'p2_1', 'p5_0', 'p5_1', 'p8_0', 'p8_1']);
  assert.deepEqual(a.val, ['p1_0', 'p1_1', 'p6_0', 'p6_1']);
  assert.equal(a.train!.length, 8);
  assert.deepEqual(findPatientOverlap(a, (id) => id.split('_')[0]), []);
});

test('randomPatientSplit: seeded, reproducible, patient-disjoint, close to the fractions', () => {
  const items: SplitItem[] = [];
  for (let p = 0; p < 200; p++) for (let k = 0; k <= p % 3; k++) items.push({ id: `img${p}-${k}`, patientId: `P${p}` });
  const a = randomPatientSplit(items, { train: 0.7, val: 0.1, test: 0.2 }, 42);
  const b = randomPatientSplit(items, { train: 0.7, val: 0.1, test: 0.2 }, 42);
  const c = randomPatientSplit(items, { train: 0.7, val: 0.1, test: 0.2 }, 43);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const n = items.length;
  assert.equal(a.train!.length + a.val!.length + a.test!.length, n);
  assert.ok(Math.abs(a.test!.length - 0.2 * n) <= 3, `test ${a.test!.length} of ${n}`);
  assert.ok(Math.abs(a.val!.length - 0.1 * n) <= 3, `val ${a.val!.length} of ${n}`);
  const patient = new Map(items.map((i) => [i.id, i.patientId]));
  assert.deepEqual(findPatientOverlap(a, (id) => patient.get(id)), []);
  assert.throws(() => randomPatientSplit(items, { train: -1, val: 0, test: 1 }, 1), MedprobeError);
});

test('patient overlap is a one-line error naming patients and splits', () => {
  const assignment = { train: ['a1', 'b1', 'c1'], val: ['a2'], test: ['b2', 'd1'] };
  const patient = (id: string): string => id[0].toUpperCase();
  const o = findPatientOverlap(assignment, patient);
  assert.deepEqual(o.map((x) => [x.patientId, x.splits]), [['A', ['train', 'val']], ['B', ['train', 'test']]]);
  assert.throws(
    () => assertNoPatientOverlap(assignment, patient, 'nih-cxr14'),
    (e: unknown) => e instanceof MedprobeError && e.message === '2 patient(s) appear in more than one split of nih-cxr14: A (train, val); B (train, test)' && !e.oneLine().includes('\n'),
  );
  assertNoPatientOverlap({ train: ['a1'], test: ['b1'] }, patient);
});

test('split files round-trip; edited files and unknown ids are refused', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-splits-'));
  try {
    const file = path.join(dir, 'splits.json');
    const written = await exportSplits(file, 'toy', { train: ['a', 'b'], test: ['c'] }, { kind: 'random-by-patient', seed: 1 });
    assert.match(written.sha256, /^[0-9a-f]{64}$/);
    const back = await importSplits(file, ['a', 'b', 'c', 'd']);
    assert.deepEqual(back.splits, { train: ['a', 'b'], test: ['c'] });
    assert.equal(back.sha256, written.sha256);
    await assert.rejects(importSplits(file, ['a', 'b']), (e: unknown) => e instanceof MedprobeError && /1 sample\(s\) the dataset does not have: c/.test(e.message));
    const edited = JSON.parse(await readFile(file, 'utf8'));
    edited.splits.test.push('d');
    await writeFile(file, JSON.stringify(edited));
    await assert.rejects(importSplits(file), (e: unknown) => e instanceof MedprobeError && /does not match its sha256/.test(e.message));
    await writeFile(file, '{"format":');
    await assert.rejects(importSplits(file), /not valid JSON/);
    await assert.rejects(importSplits(path.join(dir, 'nope.json')), /split file not found/);
    await assert.rejects(exportSplits(file, 'toy', { train: ['a'], val: ['a'] }), /in both train and val/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('few-shot: n patients per class, one image each, reproducible, too-few handled as asked', () => {
  const items: FewShotItem[] = [];
  // class 0: 6 patients × 2 images; class 1: 3 patients × 1 image; class 2: 1 patient
  for (let p = 0; p < 6; p++) for (let k = 0; k < 2; k++) items.push({ id: `c0-p${p}-${k}`, label: 0, patientId: `c0p${p}` });
  for (let p = 0; p < 3; p++) items.push({ id: `c1-p${p}`, label: 1, patientId: `c1p${p}` });
  items.push({ id: 'c2-p0', label: 2, patientId: 'c2p0' });
  assert.throws(() => fewShotSample(items, { n: 2, seed: 7 }), (e: unknown) => e instanceof MedprobeError && /class 2 has only 1/.test(e.message));
  const a = fewShotSample(items, { n: 2, seed: 7, onTooFew: 'skip-class' });
  assert.deepEqual(a, fewShotSample(items, { n: 2, seed: 7, onTooFew: 'skip-class' }));
  assert.equal(a.ids.length, 4);
  const patientsOf0 = a.ids.filter((id) => id.startsWith('c0')).map((id) => id.split('-')[1]);
  assert.equal(new Set(patientsOf0).size, 2, 'two distinct patients for class 0');
  assert.deepEqual(a.perClass.map((c) => [c.label, c.available, c.taken]), [[0, 6, 2], [1, 3, 2], [2, 1, 0]]);
  assert.match(a.perClass[2].note!, /skipped/);
  const all = fewShotSample(items, { n: 2, seed: 7, onTooFew: 'take-all' });
  assert.ok(all.ids.includes('c2-p0'));
  assert.match(all.perClass[2].note!, /took all 1/);
  // class 1's draw does not depend on other classes: removing class 0 leaves it unchanged
  const only1 = fewShotSample(items.filter((i) => i.label !== 0), { n: 2, seed: 7, onTooFew: 'skip-class' });
  assert.deepEqual(only1.ids.filter((id) => id.startsWith('c1')), a.ids.filter((id) => id.startsWith('c1')));
  // different seeds draw differently (over several seeds at least one differs)
  assert.ok([1, 2, 3, 4].some((s) => fewShotSample(items, { n: 2, seed: s, onTooFew: 'skip-class' }).ids.join() !== a.ids.join()));
  // no patient ids: images are drawn directly
  const noPid = fewShotSample([{ id: 'x', label: 0 }, { id: 'y', label: 0 }, { id: 'z', label: 1 }], { n: 1, seed: 1 });
  assert.equal(noPid.ids.length, 2);
});

function toySource(): DatasetSource {
  const mk = (ids: string[], pids: string[], labels: number[]): SplitSource => ({
    size: ids.length,
    ids,
    patientIds: pids,
    labels: Int32Array.from(labels),
    get: async (i: number): Promise<Sample> => ({ id: ids[i], image: { kind: '2d', width: 1, height: 1, channels: 1, data: Uint8Array.of(labels[i]) }, label: Int32Array.of(labels[i]), patientId: pids[i] }),
  });
  return {
    name: 'toy',
    task: { type: 'binary', labels: ['neg', 'pos'] },
    dims: 2,
    fingerprint: 'f',
    files: [],
    splits: { train: mk(['a', 'b', 'c'], ['P1', 'P2', 'P3'], [0, 1, 0]), test: mk(['d'], ['P4'], [1]) },
  };
}

test('applySplits rebuilds splits from any split of the source; officialSplits and split-name aliases', async () => {
  const ds = toySource();
  assert.deepEqual(officialSplits(ds), { train: ['a', 'b', 'c'], test: ['d'] });
  const re = applySplits(ds, { train: ['d', 'a'], val: ['c'], test: ['b'] });
  assert.deepEqual(Array.from(re.splits.train!.labels), [1, 0]);
  assert.deepEqual(re.splits.train!.patientIds, ['P4', 'P1']);
  assert.equal((await re.splits.test!.get(0)).id, 'b');
  assert.throws(() => applySplits(ds, { train: ['zzz'] }), /does not have/);
  assert.equal(parseSplitName(' Training '), 'train');
  assert.equal(parseSplitName('valid'), 'val');
  assert.equal(parseSplitName('Testing'), 'test');
  assert.equal(parseSplitName('holdout'), null);
});

test('splitsFromLists reads NIH-style id lists and refuses ids in two lists', async () => {
  const { splitsFromLists } = await import('../../src/data/splits/index.js');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-lists-'));
  try {
    await writeFile(path.join(dir, 'train_val_list.txt'), '00000001_000.png\r\n00000001_001.png\n\n');
    await writeFile(path.join(dir, 'test_list.txt'), '00000002_000.png\n');
    const a = await splitsFromLists({ train: path.join(dir, 'train_val_list.txt'), test: path.join(dir, 'test_list.txt') });
    assert.deepEqual(a, { train: ['00000001_000.png', '00000001_001.png'], test: ['00000002_000.png'] });
    await writeFile(path.join(dir, 'test_list.txt'), '00000001_001.png\n');
    await assert.rejects(splitsFromLists({ train: path.join(dir, 'train_val_list.txt'), test: path.join(dir, 'test_list.txt') }), /'00000001_001.png' is listed in both the train and test lists/);
    await assert.rejects(splitsFromLists({ test: path.join(dir, 'nope.txt') }), /split list not found/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('fewShotSampleMultiLabel: one image per patient per label, the no-finding group left out where empty, too few named', () => {
  // p0 has two effusion images; p1 is positive for both labels; p2, p3 mass only.
  const items = [
    { id: 'a', positives: [0], patientId: 'p0' },
    { id: 'b', positives: [0], patientId: 'p0' },
    { id: 'c', positives: [0, 1], patientId: 'p1' },
    { id: 'd', positives: [1], patientId: 'p2' },
    { id: 'e', positives: [1], patientId: 'p3' },
  ];
  const s = fewShotSampleMultiLabel(items, 2, { n: 2, seed: 3 });
  assert.deepEqual(s.perLabel.map((r) => [r.label, r.available, r.taken]), [[0, 2, 2], [1, 3, 2], [-1, 0, 0]]);
  assert.match(s.perLabel[2].note!, /no image is negative for every label/);
  assert.ok(!(s.ids.includes('a') && s.ids.includes('b')), 'one image of p0 for effusion');
  assert.ok(s.ids.includes('c'), 'p1 is one of the two effusion patients');
  assert.deepEqual(fewShotSampleMultiLabel(items, 2, { n: 2, seed: 3 }), s);
  assert.throws(() => fewShotSampleMultiLabel(items, 2, { n: 3, seed: 3 }), (e: unknown) => e instanceof MedprobeError && /label 0 has only 2 patient/.test(e.message));
  const withNone = [...items, { id: 'f', positives: [], patientId: 'p4' }];
  assert.throws(() => fewShotSampleMultiLabel(withNone, 2, { n: 2, seed: 3 }), /no-finding group has only 1/);
});
