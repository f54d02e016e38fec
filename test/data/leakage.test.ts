import { test } from 'node:test';
import assert from 'node:assert/strict';
import jpeg from 'jpeg-js';
import type { DatasetSource, Image2D, Sample, SplitSource } from '../../src/data/types.js';
import { createRng } from '../../src/util/random.js';
import { decodeImage } from '../../src/data/folder/index.js';
import { checkLeakage, DEFAULT_PHASH_THRESHOLD, findNearDuplicates, hammingDistance, perceptualHash } from '../../src/data/leakage/index.js';

/** A smooth random 'scan': a sum of a few random low-frequency waves, seeded. */
function field(seed: number, size = 96): Image2D {
  const rng = createRng(seed);
  const waves = Array.from({ length: 6 }, () => ({ fx: rng.next() * 4, fy: rng.next() * 4, ph: rng.next() * 6.28, a: 0.5 + rng.next() }));
  const data = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = 0;
      for (const w of waves) v += w.a * Math.sin((w.fx * x + w.fy * y) / size * 6.28 + w.ph);
      data[y * size + x] = Math.max(0, Math.min(255, Math.round(128 + 25 * v)));
    }
  }
  return { kind: '2d', width: size, height: size, channels: 1, data };
}

function brighter(img: Image2D, delta: number): Image2D {
  return { ...img, data: Uint8Array.from(img.data, (v) => Math.max(0, Math.min(255, v + delta))) };
}

async function reencoded(img: Image2D, quality: number): Promise<Image2D> {
  const rgba = Buffer.alloc(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) rgba.set([img.data[i], img.data[i], img.data[i], 255], 4 * i);
  return decodeImage(jpeg.encode({ data: rgba, width: img.width, height: img.height }, quality).data, 're.jpg');
}

function source(splits: Record<string, Array<{ id: string; img: Image2D; patient?: string }>>): DatasetSource {
  const out: Partial<Record<'train' | 'val' | 'test', SplitSource>> = {};
  for (const [name, items] of Object.entries(splits)) {
    out[name as 'train'] = {
      size: items.length,
      ids: items.map((i) => i.id),
      patientIds: items.every((i) => i.patient) ? items.map((i) => i.patient!) : undefined,
      labels: new Int32Array(items.length),
      get: async (k: number): Promise<Sample> => ({ id: items[k].id, image: items[k].img, label: Int32Array.of(0) }),
    };
  }
  return { name: 'planted', task: { type: 'binary', labels: ['a', 'b'] }, dims: 2, fingerprint: 'x', files: [], splits: out };
}

test('hamming distance counts differing bits of 64', () => {
  assert.equal(hammingDistance(0n, 0n), 0);
  assert.equal(hammingDistance(0n, (1n << 64n) - 1n), 64);
  assert.equal(hammingDistance(0b1011n, 0b0001n), 2);
  assert.equal(hammingDistance(1n << 63n, 1n), 2);
});

test('multi-index search equals brute force on random hashes', () => {
  const rng = createRng(3);
  const rand64 = (): bigint => (BigInt(Math.floor(rng.next() * 2 ** 32)) << 32n) | BigInt(Math.floor(rng.next() * 2 ** 32));
  const items = Array.from({ length: 300 }, (_, i) => ({ split: i % 2 ? 'train' : 'test', id: `i${i}`, hash: rand64() }));
  // plant close pairs: flip 1..8 bits
  for (let k = 0; k < 20; k++) {
    let h = items[2 * k].hash;
    for (let f = 0; f <= k % 8; f++) h ^= 1n << BigInt((k * 7 + f * 13) % 64);
    items.push({ split: 'val', id: `near${k}`, hash: h });
  }
  for (const t of [0, 3, 6, 10]) {
    const brute: string[] = [];
    for (let i = 0; i < items.length; i++)
      for (let j = i + 1; j < items.length; j++)
        if (items[i].split !== items[j].split && hammingDistance(items[i].hash, items[j].hash) <= t) brute.push([items[i].id, items[j].id].sort().join('~'));
    const fast = findNearDuplicates(items, t).map((p) => [p.a.id, p.b.id].sort().join('~'));
    assert.deepEqual(fast.sort(), brute.sort(), `threshold ${t}`);
  }
});

test('planted cross-split duplicates are found, distinct images and within-split copies are not', async () => {
  const originals = Array.from({ length: 8 }, (_, i) => field(100 + i));
  const jpg = await reencoded(originals[0], 70);
  const bright = brighter(originals[1], 20);
  const both = await reencoded(brighter(originals[2], -15), 80);
  const ds = source({
    train: originals.slice(0, 5).map((img, i) => ({ id: `train${i}`, img, patient: `P${i}` })),
    val: [{ id: 'val-bright1', img: bright, patient: 'P1' }, { id: 'val5', img: originals[5], patient: 'P5' }],
    test: [
      { id: 'test-jpg0', img: jpg, patient: 'Q0' },
      { id: 'test-both2', img: both, patient: 'Q2' },
      { id: 'test6', img: originals[6], patient: 'Q6' },
      { id: 'test7', img: originals[7], patient: 'Q7' },
      { id: 'test7-copy', img: originals[7], patient: 'Q7' }, // same split: not leakage
    ],
  });
  const r = await checkLeakage(ds);
  assert.equal(r.threshold, DEFAULT_PHASH_THRESHOLD);
  assert.equal(r.hashed, 12);
  assert.deepEqual(r.failures, []);
  const found = r.pairs.map((p) => [p.a.id, p.b.id].sort().join('~')).sort();
  assert.deepEqual(found, ['test-both2~train2', 'test-jpg0~train0', 'train1~val-bright1']);
  for (const p of r.pairs) assert.ok(p.distance <= 4, `planted pair distance ${p.distance}`);
  assert.deepEqual(r.counts, { 'train/test': 2, 'train/val': 1 });
  // patient P1 is in train and val
  assert.equal(r.patientIdsAvailable, true);
  assert.deepEqual(r.patientOverlap.map((o) => [o.patientId, o.splits]), [['P1', ['train', 'val']]]);
  // distinct fields are far apart: the margin the default threshold relies on
  const hashes = await Promise.all(originals.map((o) => perceptualHash(o)));
  let minDistinct = 64;
  for (let i = 0; i < hashes.length; i++) for (let j = i + 1; j < hashes.length; j++) minDistinct = Math.min(minDistinct, hammingDistance(hashes[i], hashes[j]));
  assert.ok(minDistinct > 2 * DEFAULT_PHASH_THRESHOLD, `closest distinct pair is ${minDistinct} bits`);
});

test('16-bit images hash like their 8-bit rendering; undecodable samples are reported, not fatal', async () => {
  const f = field(7);
  const wide: Image2D = { ...f, data: Uint16Array.from(f.data, (v) => v * 257) };
  assert.ok(hammingDistance(await perceptualHash(f), await perceptualHash(wide)) <= 2);
  const ds = source({ train: [{ id: 'a', img: f }], test: [{ id: 'b', img: wide }] });
  const broken = { ...ds.splits.test!, size: 2, ids: ['b', 'bad'], get: async (k: number): Promise<Sample> => (k === 0 ? ds.splits.test!.get(0) : Promise.reject(new Error('corrupt file'))) };
  const r = await checkLeakage({ ...ds, splits: { ...ds.splits, test: broken } });
  assert.equal(r.pairs.length, 1);
  assert.deepEqual(r.failures, [{ split: 'test', id: 'bad', reason: 'corrupt file' }]);
  assert.equal(r.patientIdsAvailable, false);
});
