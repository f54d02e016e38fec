/** `--model` as a user types it: a path, a catalog id, a hub name or a hub id. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { resolveModelArg } from '../../src/models/resolve-arg.js';
import { hubModelDir, HUB_MANIFEST } from '../../src/models/hub-pull.js';
import { medprobeError, withTempDir } from '../helpers/assertions.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

test('a catalog id with a shipped card resolves to the card', async () => {
  assert.deepEqual(await resolveModelArg('mobilenetv2-035-imagenet'), { card: path.join(repo, 'examples/models/mobilenetv2-035-imagenet.yaml') });
});

test('a catalog model not on this machine says how to pull it; once pulled, id, hub name and hub id all find it', () =>
  withTempDir('resolve', async (cacheDir) => {
    for (const name of ['dinov2-vits14', 'dinov2-small', 'onnx-community/dinov2-small']) {
      await assert.rejects(resolveModelArg(name, { cacheDir }), (e: unknown) => {
        medprobeError(/is not on this machine|not downloaded/)(e);
        assert.match((e as Error & { hint: string }).hint, /medprobe models pull onnx-community\/dinov2-small/);
        return true;
      });
    }
    const dir = hubModelDir('onnx-community/dinov2-small', { cacheDir });
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, HUB_MANIFEST), '{}');
    for (const name of ['dinov2-vits14', 'dinov2-small', 'onnx-community/dinov2-small']) assert.deepEqual(await resolveModelArg(name, { cacheDir }), { hub: dir });
  }));

test('paths win over catalog names; a bare .onnx file or an unknown name is one clear error', () =>
  withTempDir('resolve', async (d) => {
    await fs.mkdir(path.join(d, 'dinov2-small'));
    assert.deepEqual(await resolveModelArg(path.join(d, 'dinov2-small')), { hub: path.join(d, 'dinov2-small') });
    await fs.writeFile(path.join(d, 'm.onnx'), '');
    await assert.rejects(resolveModelArg(path.join(d, 'm.onnx')), medprobeError(/bare ONNX file/));
    await assert.rejects(resolveModelArg('no-such-model', { cacheDir: d }), medprobeError(/not found: no such file, folder or catalog model/));
  }));
