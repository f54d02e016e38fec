/**
 * The catalog's export recipes for the study's large models (issue 13). The scripts were never
 * run against the real weights (no PyPI or hub here), so what is checked is everything short of
 * that: every Python recipe parses; each shipped card names the file and outputs its script
 * writes; and each card, written by `writeRecipeFiles` beside a generated ONNX model with the
 * interface the script exports (input, output names, shapes, token layout, external data),
 * gives every feature it promises, checked against an independent float64 forward pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { getCatalogCard, listCatalog } from '../../src/models/catalog/index.js';
import { recipeFiles, writeRecipeFiles } from '../../src/models/catalog/recipe-files.js';
import { isGridBackbone } from '../../src/models/backbone.js';
import { openBackbone } from '../../src/models/open.js';
import { writeWithExternalData } from '../../src/models/fixtures/external-data.js';
import { writeFakeHubFolder } from '../../src/models/fixtures/hub-folder.js';
import { tinyGridEncoderWeights, writeTinyGridEncoderOnnx } from '../../src/models/fixtures/tiny-grid-encoder.js';
import { tinyVitWeights, writeTinyVitOnnx, type TinyVitOptions } from '../../src/models/fixtures/tiny-vit.js';
import { layerNormRows, tinyVitReference } from '../../src/models/fixtures/tiny-vit-reference.js';
import { createRng } from '../../src/util/random.js';
import { loadCard } from '../../src/models/card.js';
import { defaultSegMaps } from '../../src/protocols/segmentation/maps.js';
import { withTempDir } from '../helpers/assertions.js';
import { runCliCaptured } from '../helpers/run-cli.js';

const PYTHON = '/usr/bin/python3';
const LARGE = ['mae-vit-l16', 'clip-vit-l14-openai', 'openclip-vit-h14-laion2b', 'sam-vit-l', 'dinov2-vitg14'];
const TOL = 2e-4;

function pythonSyntaxError(source: string): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import ast,sys; ast.parse(sys.stdin.read())'], { input: source, encoding: 'utf8' });
  return r.status === 0 ? null : (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop()!;
}

function batch(n: number, size: number, seed = 9): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * 3 * size * size }, () => rng.normal());
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Token k of every image of [n, t, d] rows, concatenated over `parts` per image. */
function tokenRows(parts: Float64Array[], n: number, t: number, d: number, k: number): Float64Array {
  const out = new Float64Array(n * d * parts.length);
  for (let i = 0; i < n; i++) parts.forEach((p, j) => out.set(p.subarray((i * t + k) * d, (i * t + k + 1) * d), (i * parts.length + j) * d));
  return out;
}

test('every Python recipe in the catalog parses', { skip: existsSync(PYTHON) ? false : `no ${PYTHON}` }, () => {
  assert.notEqual(pythonSyntaxError('def f(:\n  pass\n'), null, 'the check rejects broken Python');
  const python = listCatalog().filter((c) => c.onnx.tool === 'torch.onnx.export');
  assert.ok(python.length >= 10, `${python.length} Python recipes`);
  for (const c of python) assert.equal(pythonSyntaxError(recipeFiles(c).script.text), null, c.id);
});

test('the large models each ship a card naming the file and outputs their script writes, and say they were not run on real weights', () => {
  for (const id of LARGE) {
    const { onnx } = getCatalogCard(id);
    const card = onnx.card;
    assert.ok(card, `${id} ships a card`);
    assert.match(onnx.checked ?? '', /^Not run against the real weights/, id);
    const read = [...Object.values(card.outputs), ...(card.vit ? [card.vit.tokensOutput] : [])];
    if (onnx.tool === 'torch.onnx.export') {
      assert.ok(onnx.command.includes(`FILE = '${card.file}'`), `${id}: the script writes ${card.file}`);
      for (const o of read) assert.ok(onnx.command.includes(`'${o}'`), `${id}: the script exports '${o}'`);
    } else {
      const dir = onnx.command.trim().split(/\s+/).pop()!.replace(/\/$/, '');
      assert.equal(card.file, `${dir}/model.onnx`, `${id}: the card reads optimum's root-level model.onnx`);
    }
  }
  // MAE keeps every patch in order: the noise is arange, not rand.
  assert.match(getCatalogCard('mae-vit-l16').onnx.command, /torch\.arange\(PATCHES/);
  assert.match(getCatalogCard('openclip-vit-h14-laion2b').onnx.command, /output_tokens = True/);
});

/** Writes the recipe's files into `dir`, a tiny ViT where the card expects the export, and checks every view against the reference. */
async function checkVitRecipe(id: string, fixture: TinyVitOptions, opts: { external?: boolean } = {}): Promise<void> {
  await withTempDir(`recipe-${id}`, async (dir) => {
    const cat = getCatalogCard(id);
    const card = cat.onnx.card!;
    const written = await writeRecipeFiles(cat, dir);
    const model = path.join(dir, card.file);
    const fx: TinyVitOptions = { ...fixture, size: card.input.size, patchSize: card.vit!.patchSize, dim: 16, depth: 4, heads: 2 };
    if (opts.external) {
      await writeTinyVitOnnx(path.join(dir, 'single.onnx'), fx);
      await writeWithExternalData(path.join(dir, 'single.onnx'), model);
    } else {
      await writeTinyVitOnnx(model, fx);
    }
    const n = 2;
    const x = batch(n, card.input.size);
    const w = tinyVitWeights(fx);
    const ref = tinyVitReference(w, x, n, card.input.size);
    const { tokens: t, dim: d } = ref;
    const g = card.input.size / card.vit!.patchSize;
    const block = (k: number): Float64Array => (w.opts.finalNorm ? layerNormRows(ref.blocks[ref.blocks.length - k], n * t, d, w.normG, w.normB) : ref.blocks[ref.blocks.length - k]);

    const b = await openBackbone({ card: written.card! }, { cacheDir: path.join(dir, 'cache'), threads: 1 });
    try {
      const feats = ['cls', 'mean-patch', 'last4/cls', ...(card.outputs.pooled ? ['pooled'] : [])];
      assert.deepEqual(feats.filter((f) => !b.features.includes(f)), [], `${id} offers ${feats.join(', ')}`);
      const out = await b.run(x, n, feats);
      const cls = tokenRows([ref.lastHiddenState], n, t, d, 0);
      assert.ok(maxAbsDiff(out.cls.data, cls) < TOL, `${id}: cls`);
      assert.ok(maxAbsDiff(out['last4/cls'].data, tokenRows([4, 3, 2, 1].map(block), n, t, d, 0)) < TOL, `${id}: last4/cls`);
      if (card.outputs.pooled) assert.ok(maxAbsDiff(out.pooled.data, cls) < TOL, `${id}: pooled is the fixture's CLS`);
      assert.equal(out['mean-patch'].cols, d);

      // The patch grid is the token sequence after CLS, row-major over the (S/p)² grid.
      assert.ok(isGridBackbone(b));
      const grids = await b.runGrid(x, n, ['last_hidden_state', 'block:-1']);
      for (const [name, tokens] of [['last_hidden_state', ref.lastHiddenState], ['block:-1', block(1)]] as const) {
        const grid = grids[name];
        assert.deepEqual(grid.dims, [n, d, g, g], name);
        const want = new Float64Array(n * d * g * g);
        for (let i = 0; i < n; i++)
          for (let r = 0; r < g; r++)
            for (let c = 0; c < g; c++) for (let ch = 0; ch < d; ch++) want[((i * d + ch) * g + r) * g + c] = tokens[(i * t + 1 + r * g + c) * d + ch];
        assert.ok(maxAbsDiff(grid.data, want) < TOL, `${id}: ${name} grid`);
      }
    } finally {
      await b.dispose();
    }
  });
}

test('MAE recipe card: 224 px fixed, 1 + 14×14 tokens after the final norm, cls / last4 / row-major grid', async () => {
  await checkVitRecipe('mae-vit-l16', { dynamicHW: false, seed: 1 });
});

test('CLIP recipe card: last_hidden_state without a final norm (blocks read raw) and pooler_output', async () => {
  await checkVitRecipe('clip-vit-l14-openai', { dynamicHW: false, finalNorm: false, poolerOutput: true, seed: 2 });
});

test('OpenCLIP recipe card: ln_post tokens and pooled, weights in external data', async () => {
  await checkVitRecipe('openclip-vit-h14-laion2b', { dynamicHW: false, poolerOutput: 'pooled', seed: 3 }, { external: true });
});

test('SAM recipe card: a 64×64 grid without CLS at 1024 px; pooled is the grid mean, the grid is row-major', async () => {
  await withTempDir('recipe-sam', async (dir) => {
    const cat = getCatalogCard('sam-vit-l');
    const card = cat.onnx.card!;
    const written = await writeRecipeFiles(cat, dir);
    const fx = { size: card.input.size, patchSize: 16, channels: 8, output: 'image_embeddings', seed: 4 };
    await writeTinyGridEncoderOnnx(path.join(dir, card.file), fx);
    const { w, b: bias, patchSize: p, channels: ch } = tinyGridEncoderWeights(fx);
    const s = card.input.size;
    const g = s / p;
    const n = 2;
    const x = batch(n, s);
    // The encoder at one patch (r, c) of image i, and at the mean patch (a linear map commutes with the mean).
    const conv = (patch: (k: number, y: number, xx: number) => number): Float64Array => {
      const out = new Float64Array(ch);
      for (let o = 0; o < ch; o++) {
        let acc = bias[o];
        for (let k = 0; k < 3; k++) for (let y = 0; y < p; y++) for (let xx = 0; xx < p; xx++) acc += w[((o * 3 + k) * p + y) * p + xx] * patch(k, y, xx);
        out[o] = acc;
      }
      return out;
    };
    const pixel = (i: number, k: number, y: number, xx: number): number => x[((i * 3 + k) * s + y) * s + xx];

    assert.deepEqual(defaultSegMaps(await loadCard(written.card!)), ['image_embeddings'], 'segmentation reads the grid by default');
    const bb = await openBackbone({ card: written.card! }, { cacheDir: path.join(dir, 'cache'), threads: 1 });
    try {
      assert.deepEqual([...bb.features], ['pooled']);
      await assert.rejects(bb.run(x, n, ['cls']), /has no feature 'cls'/);
      const pooled = (await bb.run(x, n, ['pooled'])).pooled;
      assert.deepEqual([pooled.rows, pooled.cols], [n, ch]);
      for (let i = 0; i < n; i++) {
        const mean = new Float64Array(3 * p * p);
        for (let k = 0; k < 3; k++)
          for (let y = 0; y < s; y++) for (let xx = 0; xx < s; xx++) mean[(k * p + (y % p)) * p + (xx % p)] += pixel(i, k, y, xx) / (g * g);
        const meanPatch = conv((k, y, xx) => mean[(k * p + y) * p + xx]);
        assert.ok(maxAbsDiff(pooled.data.subarray(i * ch, (i + 1) * ch), meanPatch) < TOL, `pooled = grid mean, image ${i}`);
      }
      assert.ok(isGridBackbone(bb));
      const grid = (await bb.runGrid(x, n, ['image_embeddings'])).image_embeddings;
      assert.deepEqual(grid.dims, [n, ch, g, g]);
      for (const [i, r, c] of [[0, 0, 1], [1, 5, 60], [1, 63, 2]] as const) {
        const want = conv((k, y, xx) => pixel(i, k, r * p + y, c * p + xx));
        const got = Array.from({ length: ch }, (_, o) => grid.data[((i * ch + o) * g + r) * g + c]);
        assert.ok(maxAbsDiff(got, want) < TOL, `grid (${r}, ${c}) of image ${i} is patch row ${r}, column ${c}`);
      }
    } finally {
      await bb.dispose();
    }
  });
});

test('ViT-g recipe card: the optimum-cli folder (root model.onnx, weights in model.onnx_data) gives last-4-block features, as the folder itself does', async () => {
  await withTempDir('recipe-vitg', async (dir) => {
    const cat = getCatalogCard('dinov2-vitg14');
    const card = cat.onnx.card!;
    const written = await writeRecipeFiles(cat, dir);
    const folder = path.join(dir, path.dirname(card.file));
    await writeFakeHubFolder(folder, { seed: 5, depth: 4, dim: 16, heads: 2, size: card.input.size });
    await writeWithExternalData(path.join(folder, 'onnx', 'model.onnx'), path.join(folder, 'model.onnx'), { dataFile: 'model.onnx_data' });
    await fs.rm(path.join(folder, 'onnx'), { recursive: true });
    const feats = ['cls', 'pooled', 'last4/cls+mean-patch'];
    const x = batch(2, card.input.size);
    const outs = [];
    for (const ref of [{ card: written.card! }, { folder }]) {
      const b = await openBackbone(ref, { cacheDir: path.join(dir, 'cache'), threads: 1 });
      try {
        outs.push(await b.run(x, 2, feats));
      } finally {
        await b.dispose();
      }
    }
    assert.equal(outs[0]['last4/cls+mean-patch'].cols, 4 * 2 * 16);
    assert.ok(maxAbsDiff(outs[0].pooled.data, outs[0].cls.data) < TOL, 'pooler_output is the CLS token');
    for (const f of feats) assert.deepEqual(outs[0][f].data, outs[1][f].data, `${f}: card and folder agree`);
  });
});

// One test for the CLI: runCliCaptured borrows process.stdout, where the runner reports finished tests.
test('medprobe models recipe: --out writes the script and the card, which loads and names the file the script writes', async () => {
  await withTempDir('recipe-cli', async (dir) => {
    const out = path.join(dir, 'exports');
    const mae = getCatalogCard('mae-vit-l16');
    const r = await runCliCaptured(['models', 'recipe', 'mae-vit-l16', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /run: cd .*exports && python3 export-mae-vit-l16\.py/);
    assert.equal(await fs.readFile(path.join(out, 'export-mae-vit-l16.py'), 'utf8'), mae.onnx.command);
    const loaded = await loadCard(path.join(out, 'mae-vit-l16.yaml'));
    assert.deepEqual(loaded.card, mae.onnx.card);
    assert.equal(loaded.modelPath, path.join(out, 'mae-vit-l16.onnx'));

    const printed = await runCliCaptured(['models', 'recipe', 'resnet152-in1k']);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /---- export-resnet152-in1k\.py ----[\s\S]*torch\.onnx\.export[\s\S]*no medprobe card ships for this export/);
    const shipped = await runCliCaptured(['models', 'recipe', 'mobilenetv2-035-imagenet', '--out', path.join(dir, 'none')]);
    assert.equal(shipped.code, 0, shipped.stderr);
    assert.match(shipped.stdout, /^mobilenetv2-035-imagenet: nothing to export — medprobe ships it/);
    assert.equal(existsSync(path.join(dir, 'none')), false, 'nothing written');
    const bad = await runCliCaptured(['models', 'recipe', 'mae-vit-l14']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no model 'mae-vit-l14' in the catalog/);
  });
});
