import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MEDMNIST, MEDMNIST_NAMES, medmnistFile, medmnistInfo, parseMedMNISTFileName } from '../../src/data/medmnist/registry.js';
import { labelWidth } from '../../src/data/types.js';
import { MedprobeError } from '../../src/util/errors.js';

test('18 datasets: 12 2D with 4 sizes, 6 3D with 2 sizes, unique well-formed MD5s and Zenodo URLs', () => {
  assert.equal(MEDMNIST.length, 18);
  assert.equal(MEDMNIST.filter((d) => d.dims === 2).length, 12);
  assert.equal(MEDMNIST.filter((d) => d.dims === 3).length, 6);
  assert.equal(new Set(MEDMNIST_NAMES).size, 18);
  const md5s = new Set<string>();
  for (const d of MEDMNIST) {
    const sizes = Object.keys(d.files).map(Number);
    assert.deepEqual(sizes, d.dims === 2 ? [28, 64, 128, 224] : [28, 64], d.name);
    for (const [size, f] of Object.entries(d.files)) {
      assert.match(f!.md5, /^[0-9a-f]{32}$/);
      md5s.add(f!.md5);
      const fileName = size === '28' ? `${d.name}.npz` : `${d.name}_${size}.npz`;
      assert.equal(f!.fileName, fileName);
      assert.equal(f!.url, `https://zenodo.org/records/10519652/files/${fileName}?download=1`);
    }
    assert.equal(d.task.labels.length > 1, true);
    assert.ok(d.nSamples.train > d.nSamples.val && d.nSamples.test > 0, d.name);
  }
  assert.equal(md5s.size, 12 * 4 + 6 * 2);
});

test('cross-checks against MD5s and counts published in ../shared/README.md and the MedMNIST paper', () => {
  assert.equal(medmnistFile('pneumoniamnist', 28).md5, '28209eda62fecd6e6a2d98b1501bb15f');
  assert.equal(medmnistFile('adrenalmnist3d', 28).md5, 'bbd3c5a5576322bc4cdfea780653b1ce');
  assert.equal(medmnistFile('adrenalmnist3d', 64).md5, '17721accfe9fb005146a47d33bc54b2f');
  assert.deepEqual(medmnistInfo('pneumoniamnist').nSamples, { train: 4708, val: 524, test: 624 });
  assert.deepEqual(medmnistInfo('adrenalmnist3d').nSamples, { train: 1188, val: 98, test: 298 });
});

test('tasks, label widths and channels follow info.py', () => {
  const chest = medmnistInfo('chestmnist');
  assert.equal(chest.task.type, 'multi-label');
  assert.equal(labelWidth(chest.task), 14);
  assert.equal(chest.task.labels[13], 'hernia');
  assert.equal(medmnistInfo('retinamnist').task.type, 'ordinal');
  assert.equal(medmnistInfo('retinamnist').task.labels.length, 5);
  assert.equal(medmnistInfo('pneumoniamnist').task.type, 'binary');
  assert.equal(medmnistInfo('pathmnist').task.type, 'multi-class');
  assert.equal(medmnistInfo('pathmnist').channels, 3);
  assert.equal(medmnistInfo('dermamnist').license, 'CC BY-NC 4.0');
  assert.deepEqual(
    MEDMNIST.filter((d) => d.channels === 3).map((d) => d.name),
    ['pathmnist', 'dermamnist', 'retinamnist', 'bloodmnist'],
  );
  const types = Object.fromEntries(MEDMNIST.map((d) => [d.name, d.task.type]));
  assert.deepEqual(
    Object.keys(types).filter((k) => types[k] === 'binary'),
    ['pneumoniamnist', 'breastmnist', 'nodulemnist3d', 'adrenalmnist3d', 'vesselmnist3d', 'synapsemnist3d'],
  );
});

test('file names parse to dataset and size; unknown names list the valid ones', () => {
  assert.deepEqual(parseMedMNISTFileName('pneumoniamnist.npz'), { name: 'pneumoniamnist', size: 28 });
  assert.deepEqual(parseMedMNISTFileName('adrenalmnist3d_64.npz'), { name: 'adrenalmnist3d', size: 64 });
  assert.deepEqual(parseMedMNISTFileName('PathMNIST_224.npz'), { name: 'pathmnist', size: 224 });
  assert.equal(parseMedMNISTFileName('pneumoniamnist_32.npz'), undefined);
  assert.equal(parseMedMNISTFileName('cifar.npz'), undefined);
  assert.throws(() => medmnistInfo('organmnist'), (e: unknown) => e instanceof MedprobeError && /organamnist, organcmnist, organsmnist, organmnist3d/.test(e.hint ?? ''));
});
