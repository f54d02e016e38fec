import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backbone } from '../../src/models/backbone.js';
import { parseCard } from '../../src/models/card.js';
import { hostId, lookupThroughput, measureThroughput, recordThroughput, THROUGHPUT_FILE, type ThroughputRecord } from '../../src/models/throughput.js';
import { matrix } from '../../src/util/matrix.js';
import { backboneRefFromPath } from '../../src/models/ref-from-path.js';
import { MedprobeError } from '../../src/util/errors.js';

// The throughput store behind `medprobe models bench`, and the thin `models` CLI on top of the catalog.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-throughput-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A backbone that only counts the images it was given. */
function countingBackbone(runtime: string): Backbone & { seen: number[] } {
  const seen: number[] = [];
  return {
    seen,
    card: parseCard({ name: 'fake', file: 'fake.onnx', input: { name: 'x', size: 4 }, outputs: { pooled: 'pooled' } }, 'test'),
    fingerprint: 'f'.repeat(64),
    inputSize: 4,
    features: ['pooled'],
    runtime: { name: runtime, version: '0' },
    async run(batch, n) {
      assert.equal(batch.length, n * 3 * 4 * 4);
      seen.push(n);
      return { pooled: matrix(n, 2) };
    },
    async dispose() {},
  };
}

function record(over: Partial<ThroughputRecord>): ThroughputRecord {
  return { fingerprint: 'a', inputSize: 224, threads: 2, host: 'h', model: 'm', runtime: 'r', imagesPerSecond: 10, batchSize: 32, batches: 5, measuredAt: '2026-01-01T00:00:00Z', ...over };
}

describe('throughput store', () => {
  it('warm-up is run but not timed; batches × batch size images are counted; tfjs records 1 thread', async () => {
    const bb = countingBackbone('tfjs-wasm');
    const r = await measureThroughput(bb, { batchSize: 8, batches: 3, warmup: 2, threads: 4 });
    assert.deepEqual(bb.seen, [8, 8, 8, 8, 8]);
    assert.equal(r.batches, 3);
    assert.equal(r.threads, 1);
    assert.equal(r.host, hostId());
    assert.ok(r.imagesPerSecond > 0 && Number.isFinite(r.imagesPerSecond));
    const ort = await measureThroughput(countingBackbone('onnxruntime-node'), { batchSize: 2, batches: 1, threads: 3 });
    assert.equal(ort.threads, 3);
  });

  it('records are keyed by fingerprint + input size + threads + host; a re-measure replaces its own key only', async () => {
    const cache = path.join(dir, 'c1');
    await recordThroughput(cache, record({ imagesPerSecond: 10 }));
    await recordThroughput(cache, record({ threads: 1, imagesPerSecond: 6 }));
    await recordThroughput(cache, record({ inputSize: 518, imagesPerSecond: 2 }));
    await recordThroughput(cache, record({ imagesPerSecond: 12 }));
    const key = { fingerprint: 'a', inputSize: 224, threads: 2, host: 'h' };
    assert.equal((await lookupThroughput(cache, key))?.imagesPerSecond, 12);
    assert.equal((await lookupThroughput(cache, { ...key, threads: 1 }))?.imagesPerSecond, 6);
    assert.equal((await lookupThroughput(cache, { ...key, inputSize: 518 }))?.imagesPerSecond, 2);
    assert.equal(await lookupThroughput(cache, { ...key, host: 'other' }), undefined);
    const stored = JSON.parse(await fs.readFile(path.join(cache, THROUGHPUT_FILE), 'utf8'));
    assert.equal(stored.records.length, 3);
    assert.deepEqual((await fs.readdir(cache)).filter((f) => f.startsWith('.tmp-')), [], 'no temp files left');
  });

  it('a torn or foreign throughput.json reads as empty and is rewritten', async () => {
    const cache = path.join(dir, 'c2');
    await fs.mkdir(cache);
    await fs.writeFile(path.join(cache, THROUGHPUT_FILE), '{"format":1,"records":[{"fing');
    assert.equal(await lookupThroughput(cache, { fingerprint: 'a', inputSize: 224, threads: 2, host: 'h' }), undefined);
    await recordThroughput(cache, record({}));
    assert.equal(JSON.parse(await fs.readFile(path.join(cache, THROUGHPUT_FILE), 'utf8')).records.length, 1);
  });
});

describe('medprobe models (CLI)', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), 'models', ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, MEDPROBE_CACHE: path.join(dir, 'cli-cache') },
    });

  it('list prints one row per catalog card; an unknown id fails with close matches', () => {
    const list = cli('list');
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^id\s+params\s+pretrain imgs\s+licence\s+openness\s+local/);
    assert.match(list.stdout, /\ndinov2-vitb14\s+86M\s+142M\s+Apache-2\.0\s+open-weights 80\s/);
    assert.match(list.stdout, /\nmae-vit-l16\s+307M\s+1\.28M\s+CC-BY-NC-4\.0\s+restricted 70\s/);
    const bad = cli('show', 'dinov2-vitb16');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /no model 'dinov2-vitb16' in the catalog — close matches: dinov2-vitb14/);
  });

  it('bench targets: a missing path or a bare TF.js folder fails with a hint; cards, .onnx and hub folders resolve', async () => {
    await assert.rejects(backboneRefFromPath(path.join(dir, 'nope.yaml')), (e: unknown) => e instanceof MedprobeError && /model not found/.test(e.message));
    const tfjsDir = path.join(dir, 'tfjs');
    await fs.mkdir(tfjsDir);
    await fs.writeFile(path.join(tfjsDir, 'model.json'), '{}');
    await assert.rejects(backboneRefFromPath(tfjsDir), (e: unknown) => e instanceof MedprobeError && /TF\.js model folder/.test(e.message) && /format: tfjs-layers/.test(e.hint ?? ''));
    const hub = path.join(dir, 'hub');
    await fs.mkdir(hub);
    await fs.writeFile(path.join(hub, 'config.json'), '{}');
    await fs.writeFile(path.join(dir, 'm.onnx'), '');
    await fs.writeFile(path.join(dir, 'm.yaml'), '');
    assert.deepEqual(await backboneRefFromPath(hub), { folder: hub });
    assert.deepEqual(await backboneRefFromPath(path.join(dir, 'm.onnx')), { onnx: path.join(dir, 'm.onnx') });
    assert.deepEqual(await backboneRefFromPath(path.join(dir, 'm.yaml')), { card: path.join(dir, 'm.yaml') });
  });
});
