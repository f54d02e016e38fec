/**
 * The compute choice: one resolution for every ORT session, explicit threads, a clear line for a
 * provider this machine lacks, `auto` saying what it picked, the choice in provenance and cache keys.
 * The GPU cases assert the no-GPU behaviour and skip where a provider does work (a GPU machine).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseDevice } from '../../src/models/onnx/device.js';
import { providerProblem, resolveCompute } from '../../src/models/onnx/provider.js';
import { defaultCompute, sessionOptions, setDefaultCompute } from '../../src/models/onnx/session.js';
import { engineSession, GraphBuilder } from '../../src/engine/graph.js';
import { openBackbone } from '../../src/models/open.js';
import { computeKeyParts } from '../../src/models/backbone.js';
import { featureKey } from '../../src/features/cache.js';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../../src/models/fixtures/tiny-cnn.js';
import { medprobeError, withTempDir } from '../helpers/assertions.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

test('cpu is the default, with explicit intra/inter-op threads (default: every core)', async () => {
  const saved = process.env.MEDPROBE_ORT_THREADS;
  delete process.env.MEDPROBE_ORT_THREADS;
  try {
    const c = await resolveCompute();
    assert.deepEqual(c, { device: 'cpu', requested: 'cpu', intraOpThreads: os.availableParallelism(), interOpThreads: 1 });
    const o = sessionOptions(await resolveCompute({ threads: 3 }));
    assert.deepEqual(o.executionProviders, ['cpu']);
    assert.equal(o.intraOpNumThreads, 3);
    assert.equal(o.interOpNumThreads, 1);
    // Idle pool threads block rather than spin, as the torch peers run OMP_WAIT_POLICY=PASSIVE.
    assert.deepEqual(o.extra, { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } });
    // Training steps run without ORT's memory pattern (its second run allocated fresh pages: the
    // linear decoder's slow step 2); inference sessions keep ORT's default.
    assert.equal(o.enableMemPattern, undefined);
    const t = sessionOptions(await resolveCompute({ threads: 3 }), 'training');
    assert.equal(t.enableMemPattern, false);
    assert.deepEqual({ ...t, enableMemPattern: undefined }, { ...o, enableMemPattern: undefined });
    process.env.MEDPROBE_ORT_THREADS = '1';
    assert.equal((await resolveCompute()).intraOpThreads, 1);
  } finally {
    if (saved === undefined) delete process.env.MEDPROBE_ORT_THREADS;
    else process.env.MEDPROBE_ORT_THREADS = saved;
  }
  await assert.rejects(resolveCompute({ threads: 0 }), medprobeError(/threads 0/));
  assert.throws(() => parseDevice('gpu', '--device'), medprobeError(/--device 'gpu' is not a device/));
});

for (const device of ['webgpu', 'cuda'] as const) {
  test(`--device ${device} without the provider: one line naming it, why, and how to get it`, async (t) => {
    if (!(await providerProblem(device))) return t.skip(`${device} works on this machine`);
    await assert.rejects(resolveCompute({ device }), (e: unknown) => {
      medprobeError(new RegExp(`device ${device} is not available on this machine: `))(e);
      const line = (e as { oneLine(): string }).oneLine();
      assert.match(line, device === 'cuda' ? /ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node --foreground-scripts/ : /adapter|Vulkan/);
      return true;
    });
  });
}

test('auto says what it picked and why it passed the others over', async () => {
  const lines: string[] = [];
  const c = await resolveCompute({ device: 'auto', threads: 1 }, (l) => lines.push(l));
  assert.equal(c.requested, 'auto');
  assert.equal(lines.length, 1);
  assert.match(lines[0], new RegExp(`^device auto: picked ${c.device}`));
  assert.match(lines[0], /supported by onnxruntime-node: cpu/);
  for (const p of ['cuda', 'webgpu'] as const) {
    const problem = await providerProblem(p);
    if (problem && c.device === 'cpu') assert.ok(lines[0].includes(`${p}: ${problem}`), lines[0]);
  }
});

test('engine graphs follow the process compute; a new choice gets new sessions', async () => {
  const build = () => {
    const g = new GraphBuilder('probe_identity');
    g.op1('Identity', [g.input('x', [1])], {}, 'y');
    g.output('y', [1]);
    return g.toBytes();
  };
  await setDefaultCompute({ threads: 1 });
  const a = await engineSession('test/identity', build);
  assert.equal(a, await engineSession('test/identity', build));
  await setDefaultCompute({ threads: 2 });
  assert.notEqual(a, await engineSession('test/identity', build));
  assert.equal((await defaultCompute()).intraOpThreads, 2);
  await setDefaultCompute({});
});

test('a backbone records its compute; cpu adds nothing to cache keys, a GPU provider does', async () => {
  await withTempDir('compute', async (dir) => {
    await writeTinyCnnOnnx(path.join(dir, 'tiny.onnx'), { size: 32 });
    await writeTinyCnnCard(path.join(dir, 'tiny.yaml'), path.join(dir, 'tiny.onnx'), { size: 32 });
    const b = await openBackbone({ card: path.join(dir, 'tiny.yaml') }, { threads: 1 });
    try {
      assert.deepEqual(b.compute, { device: 'cpu', requested: 'cpu', intraOpThreads: 1, interOpThreads: 1 });
      assert.deepEqual(computeKeyParts(b), {});
    } finally {
      await b.dispose();
    }
  });
  const parts = { modelFingerprint: 'm', inputSize: 32, datasetFingerprint: 'd', split: 'train', preprocessing: 'p', feature: 'f' };
  const gpu = computeKeyParts({ compute: { device: 'webgpu', requested: 'webgpu', intraOpThreads: 1, interOpThreads: 1 } } as never);
  assert.deepEqual(gpu, { device: 'webgpu' });
  assert.notEqual(featureKey({ ...parts, ...gpu }), featureKey(parts));
});

test('CLI: --device on a machine without it fails before any work, in one line', async (t) => {
  if (!(await providerProblem('webgpu'))) return t.skip('webgpu works on this machine');
  await withTempDir('compute-cli', async (dir) => {
    await writeTinyCnnOnnx(path.join(dir, 'tiny.onnx'), { size: 32 });
    await writeTinyCnnCard(path.join(dir, 'tiny.yaml'), path.join(dir, 'tiny.onnx'), { size: 32 });
    const r = spawnSync(process.execPath, [path.join(repo, 'bin/medprobe.js'), 'models', 'bench', 'tiny.yaml', '--device', 'webgpu', '--cache-dir', 'c'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 1);
    const errLines = r.stderr.split('\n').filter((l) => l.startsWith('medprobe: error:'));
    assert.equal(errLines.length, 1, r.stderr);
    assert.match(errLines[0], /device webgpu is not available on this machine: no WebGPU adapter/);
    const bad = spawnSync(process.execPath, [path.join(repo, 'bin/medprobe.js'), 'models', 'bench', 'tiny.yaml', '--device', 'gpu'], { cwd: dir, encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--device 'gpu' is not a device — use one of cpu, webgpu, cuda, auto/);
    const ok = spawnSync(process.execPath, [path.join(repo, 'bin/medprobe.js'), 'models', 'bench', 'tiny.yaml', '--device', 'auto', '--threads', '1', '--batch', '2', '--batches', '1', '--cache-dir', 'c'], { cwd: dir, encoding: 'utf8', env: { ...process.env, MEDPROBE_QUIET: '1' } });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /device auto: picked cpu/);
    assert.match(ok.stdout, /1 thread\(s\)/);
  });
});
