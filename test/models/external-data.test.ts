/**
 * ONNX external data (how models over 2 GB are saved): a tiny ViT forced into external data gives
 * last-4-block features and block grids identical to its single-file twin; the edited graphs live
 * in the cache with the weights linked beside them, nothing is written next to the user's model;
 * the fingerprint covers the weight files; an optimum-cli folder (root model.onnx + data) opens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeTinyVitCard, writeTinyVitOnnx } from '../../src/models/fixtures/tiny-vit.js';
import { writeWithExternalData } from '../../src/models/fixtures/external-data.js';
import { writeFakeHubFolder } from '../../src/models/fixtures/hub-folder.js';
import { externalDataLocationsOf, modelFingerprint } from '../../src/models/onnx/external-data.js';
import { exposeGraphOutputs } from '../../src/engine/seg/expose-outputs.js';
import { cardFromHubFolder } from '../../src/models/hub-folder.js';
import { openBackbone } from '../../src/models/open.js';
import { isGridBackbone } from '../../src/models/backbone.js';
import { hashFile } from '../../src/util/hash.js';
import { createRng } from '../../src/util/random.js';
import { medprobeError, withTempDir } from '../helpers/assertions.js';

const OPTS = { depth: 5, size: 28, patchSize: 14, seed: 11 };

function batch(n: number, size: number): Float32Array {
  const rng = createRng(5);
  return Float32Array.from({ length: n * 3 * size * size }, () => rng.normal());
}

test('a ViT in external data: last-4-block features and block grids equal its single-file twin', async () => {
  await withTempDir('extdata', async (dir) => {
    const single = path.join(dir, 'single.onnx');
    await writeTinyVitOnnx(single, OPTS);
    const userDir = path.join(dir, 'user-model');
    await fs.mkdir(userDir);
    const external = path.join(userDir, 'model.onnx');
    const { moved } = await writeWithExternalData(single, external);
    assert.ok(moved >= 5 * 4, `weights moved to external data (${moved})`);
    assert.deepEqual(await externalDataLocationsOf(external), ['model.onnx.data']);
    assert.deepEqual(await externalDataLocationsOf(single), []);
    const before = (await fs.readdir(userDir)).sort();

    const cards = { single: path.join(dir, 'single.json'), external: path.join(dir, 'external.json') };
    await writeTinyVitCard(cards.single, single, OPTS);
    await writeTinyVitCard(cards.external, external, OPTS);
    const cacheDir = path.join(dir, 'cache');
    const x = batch(3, OPTS.size);
    const features = ['last4/cls+mean-patch', 'last4/mean-patch', 'cls'];
    const outs = [];
    for (const card of [cards.single, cards.external]) {
      const b = await openBackbone({ card }, { cacheDir, threads: 1 });
      try {
        assert.ok(isGridBackbone(b));
        outs.push({ f: await b.run(x, 3, features), g: await b.runGrid(x, 3, ['block:-1', 'block:-4']), fingerprint: b.fingerprint });
      } finally {
        await b.dispose();
      }
    }
    for (const f of features) assert.deepEqual(outs[1].f[f].data, outs[0].f[f].data, f);
    for (const m of ['block:-1', 'block:-4']) assert.deepEqual(outs[1].g[m].data, outs[0].g[m].data, m);
    assert.deepEqual((await fs.readdir(userDir)).sort(), before, 'nothing written beside the user model');

    // Taps (U-Net skips) on an external-data model are an edited copy too.
    const tapped = await exposeGraphOutputs(external, [], cacheDir);
    assert.equal(path.basename(path.dirname(tapped)).startsWith('model-'), true);
    assert.ok((await fs.readdir(path.dirname(tapped))).includes('model.onnx.data'));

    // The fingerprint covers the weights: same graph file, other weights → other fingerprint.
    assert.notEqual(outs[1].fingerprint, await hashFile(external));
    assert.equal(outs[0].fingerprint, await hashFile(single), 'single-file fingerprints are unchanged');
    const data = path.join(userDir, 'model.onnx.data');
    const bytes = await fs.readFile(data);
    bytes[bytes.length - 1] ^= 1;
    await fs.writeFile(data, bytes);
    assert.notEqual(await modelFingerprint(external), outs[1].fingerprint);
    await fs.rm(data);
    await assert.rejects(modelFingerprint(external), medprobeError(/external data file .*model\.onnx\.data of .* is missing/));
  });
});

test('hub folders accept the root-level model.onnx (+ external data) that optimum-cli writes', async () => {
  await withTempDir('optimum', async (dir) => {
    const folder = path.join(dir, 'dinov2-optimum');
    await writeFakeHubFolder(folder, { seed: 7, depth: 4 });
    await writeWithExternalData(path.join(folder, 'onnx', 'model.onnx'), path.join(folder, 'model.onnx'), { dataFile: 'model.onnx_data' });
    await fs.rm(path.join(folder, 'onnx'), { recursive: true });
    const loaded = await cardFromHubFolder(folder);
    assert.equal(loaded.modelPath, path.join(folder, 'model.onnx'));
    assert.equal(loaded.card.file, 'model.onnx');
    const b = await openBackbone({ folder }, { cacheDir: path.join(dir, 'cache'), threads: 1 });
    try {
      const out = await b.run(batch(2, b.inputSize), 2, ['last4/cls']);
      assert.equal(out['last4/cls'].rows, 2);
      assert.ok(out['last4/cls'].data.every(Number.isFinite));
    } finally {
      await b.dispose();
    }
  });
});
