/**
 * Bounded reading: what a file declares is checked against the memory budget from its header,
 * before anything is inflated or allocated. The fixtures prove the order by design (no RSS
 * timing): their bodies are far smaller than what they declare, so a reader that inflated or
 * allocated first would report truncation (or fill memory) instead of the budget line.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeNifti } from '../../src/data/nifti/write.js';
import { readNifti } from '../../src/data/nifti/read.js';
import { openNpz } from '../../src/data/npz.js';
import { openMedMNIST } from '../../src/data/medmnist/source.js';
import { readDicomSeries } from '../../src/data/dicom/series.js';
import { parseByteSize, setMemoryBudget, memoryBudget } from '../../src/util/memory-budget.js';
import { writeNpz } from '../data/npz-fixture.js';
import { pneumoniaLike } from '../run/plan-fixture.js';
import { ctSlice } from '../data/dicom-fixtures.js';

after(() => setMemoryBudget(undefined));

test('--memory-budget sizes: binary units, a plain number is MB, nonsense refused in one line', () => {
  assert.equal(parseByteSize('512MB'), 512 * 2 ** 20);
  assert.equal(parseByteSize('1.5GiB'), 1.5 * 2 ** 30);
  assert.equal(parseByteSize('800'), 800 * 2 ** 20);
  assert.throws(() => parseByteSize('lots'), /--memory-budget 'lots' is not a memory size/);
  assert.throws(() => parseByteSize('0MB'), /not a memory size/);
  setMemoryBudget(2 ** 20);
  assert.deepEqual(memoryBudget(), { bytes: 2 ** 20, source: '--memory-budget' });
  setMemoryBudget(undefined);
  assert.notEqual(memoryBudget().source, '--memory-budget');
});

test('a .nii.gz declaring 1 GiB is refused from its header alone, naming the file and the budget', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-budget-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  await writeNifti(path.join(dir, 'small.nii'), { kind: '3d', width: 8, height: 8, depth: 4, data: new Int16Array(256) });
  const header = await fs.readFile(path.join(dir, 'small.nii'));
  for (const o of [42, 44, 46]) header.writeInt16LE(812, o);
  // Only 4 KiB of voxels follow a header that declares 812³ int16 (1 GiB).
  await fs.writeFile(path.join(dir, 'bomb.nii.gz'), gzipSync(Buffer.concat([header.subarray(0, 352), Buffer.alloc(4096)])));
  setMemoryBudget(64 * 2 ** 20);
  await assert.rejects(readNifti(path.join(dir, 'bomb.nii.gz')), (e: Error & { oneLine(): string }) => {
    assert.match(e.oneLine(), /bomb\.nii\.gz declares 812×812×812 int16 voxels \(1021 MiB\), which needs .* more than the 64 MiB memory budget \(--memory-budget\) — .*raise the budget/);
    return true;
  });
  // Within budget the same file is what it is: truncated.
  setMemoryBudget(8 * 2 ** 30);
  await assert.rejects(readNifti(path.join(dir, 'bomb.nii.gz')), /is truncated: 812×812×812 int16 voxels need \d+ bytes, it inflates to 4448/);
  setMemoryBudget(undefined);
});

test('an npz member and a MedMNIST file larger than the budget are refused before inflating', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-budget-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'pneumoniamnist.npz');
  await writeNpz(file, { ...pneumoniaLike([12, 6, 6]), train_images: { data: new Uint8Array(400 * 224 * 224), shape: [400, 224, 224] } }, { level: 6 });
  assert.ok((await fs.stat(file)).size < 200_000);
  setMemoryBudget(8 * 2 ** 20);
  const npz = await openNpz(file);
  await assert.rejects(npz.read('train_images'), /array 'train_images' of 19 MiB uncompressed, which needs 19 MiB .* more than the 8 MiB memory budget/);
  await assert.rejects(npz.readRows('train_images'), /more than the 8 MiB memory budget/);
  await assert.rejects(openMedMNIST(file, { cacheDir: path.join(dir, 'cache') }), /pneumoniamnist\.npz declares 6 arrays of 19 MiB uncompressed/);
  setMemoryBudget(undefined);
});

test('a DICOM series whose slices each fit but together do not is refused from the headers, naming the folder', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-budget-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const series = path.join(dir, 'series');
  await fs.mkdir(series);
  // 8 slices declaring 1024 × 1024 int16 (6 MiB each decoded) with 64 pixels stored: 32 MiB as a Float32 volume.
  for (let i = 0; i < 8; i++) {
    await fs.writeFile(path.join(series, `s${i}.dcm`), ctSlice({ rows: 1024, cols: 1024, pixels: new Int16Array(64), signed: true, position: [0, 0, i * 2.5], instance: i + 1 }));
  }
  setMemoryBudget(32 * 2 ** 20);
  await assert.rejects(readDicomSeries(series), (e: Error & { oneLine(): string }) => {
    assert.match(e.oneLine(), /series declares a series of 8 slices of 1024×1024 \(32 MiB as a Float32 volume\), which needs 70 MiB of memory to read, more than the 32 MiB memory budget \(--memory-budget\) — .*raise the budget \(--memory-budget 88MB/);
    assert.ok(e.oneLine().startsWith(series));
    return true;
  });
  // Within budget the same series is what it is: its first slice is truncated.
  setMemoryBudget(2 ** 30);
  await assert.rejects(readDicomSeries(series), /s0\.dcm is truncated/);
  setMemoryBudget(undefined);
});

test('an npz header is read without inflating the member: dtype and shape of a member over the budget', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-budget-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'pneumoniamnist.npz');
  await writeNpz(file, { ...pneumoniaLike([12, 6, 6]), train_images: { data: new Uint8Array(400 * 224 * 224), shape: [400, 224, 224] } }, { level: 6 });
  // 1 MiB: the 19 MiB member cannot be inflated, its header (the first bytes) can.
  setMemoryBudget(2 ** 20);
  const npz = await openNpz(file);
  assert.deepEqual(await npz.header('train_images'), { dtype: 'uint8', shape: [400, 224, 224], rowBytes: 224 * 224 });
  assert.deepEqual(await npz.header('train_labels'), { dtype: 'uint8', shape: [12, 1], rowBytes: 1 });
  await assert.rejects(npz.readRows('train_images'), /more than the 1 MiB memory budget/);
  setMemoryBudget(undefined);
});
