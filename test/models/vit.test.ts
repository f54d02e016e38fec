import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tinyVitWeights, writeTinyVitCard, writeTinyVitOnnx, type TinyVitOptions } from '../../src/models/fixtures/tiny-vit.js';
import { layerNormRows, tinyVitReference, type TinyVitReference } from '../../src/models/fixtures/tiny-vit-reference.js';
import { openBackbone } from '../../src/models/open.js';
import { isGridBackbone, type Backbone } from '../../src/models/backbone.js';
import { MedprobeError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/random.js';
import { decodeModel, encodeModel } from '../../src/models/onnx/proto.js';

/*
 * The ONNX graph (src/models/fixtures/tiny-vit.ts) and the float64 reference
 * (src/models/fixtures/tiny-vit-reference.ts) are written independently from the same
 * seeded weights; every view and every block output read through the backbone (block outputs
 * via the edited graph) must match the reference within 1e-4.
 */
const TOL = 1e-4;
let dir: string;
let cacheDir: string;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-vit-'));
  cacheDir = path.join(dir, 'cache');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function images(n: number, size: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return new Float32Array(n * 3 * size * size).map(() => rng.normal());
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function vit(name: string, opts: TinyVitOptions): Promise<string> {
  const model = path.join(dir, `${name}.onnx`);
  await writeTinyVitOnnx(model, opts);
  const card = path.join(dir, `${name}.json`);
  await writeTinyVitCard(card, model, opts);
  return card;
}

/** Expected views from reference tokens [n, T, D]. */
function refView(tokens: Float64Array, n: number, t: number, d: number, prefix: number, view: 'cls' | 'mean-patch'): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < d; c++) {
      if (view === 'cls') out[i * d + c] = tokens[i * t * d + c];
      else {
        let s = 0;
        for (let k = prefix; k < t; k++) s += tokens[(i * t + k) * d + c];
        out[i * d + c] = s / (t - prefix);
      }
    }
  return out;
}

function concatRows(parts: Float64Array[], n: number, d: number): Float64Array {
  const out = new Float64Array(n * d * parts.length);
  for (let i = 0; i < n; i++) parts.forEach((p, k) => out.set(p.subarray(i * d, (i + 1) * d), (i * parts.length + k) * d));
  return out;
}

async function checkAgainstReference(bb: Backbone, ref: TinyVitReference, x: Float32Array, n: number, prefix: number, hasCls: boolean): Promise<void> {
  const { tokens: t, dim: d } = ref;
  const views = hasCls ? (['cls', 'mean-patch', 'cls+mean-patch', 'last4/cls', 'last4/cls+mean-patch'] as const) : (['mean-patch', 'last4/mean-patch'] as const);
  const out = await bb.run(x, n, views);
  const lastN = (k: number): Float64Array => layerNormRows(ref.blocks[ref.blocks.length - k], n * t, d, normOf(bb).g, normOf(bb).b);
  const meanLast = refView(ref.lastHiddenState, n, t, d, prefix, 'mean-patch');
  assert.ok(maxAbsDiff(out['mean-patch'].data, meanLast) < TOL, 'mean-patch');
  const last4Mean = concatRows([4, 3, 2, 1].map((k) => refView(lastN(k), n, t, d, prefix, 'mean-patch')), n, d);
  if (hasCls) {
    const clsLast = refView(ref.lastHiddenState, n, t, d, prefix, 'cls');
    assert.ok(maxAbsDiff(out.cls.data, clsLast) < TOL, 'cls');
    assert.ok(maxAbsDiff(out['cls+mean-patch'].data, concatRows([clsLast, meanLast], n, d)) < TOL, 'cls+mean-patch');
    const last4Cls = concatRows([4, 3, 2, 1].map((k) => refView(lastN(k), n, t, d, prefix, 'cls')), n, d);
    assert.equal(out['last4/cls'].cols, 4 * d);
    assert.ok(maxAbsDiff(out['last4/cls'].data, last4Cls) < TOL, 'last4/cls');
    const both = concatRows([4, 3, 2, 1].flatMap((k) => [refView(lastN(k), n, t, d, prefix, 'cls'), refView(lastN(k), n, t, d, prefix, 'mean-patch')]), n, d);
    assert.ok(maxAbsDiff(out['last4/cls+mean-patch'].data, both) < TOL, 'last4/cls+mean-patch');
  } else {
    assert.ok(maxAbsDiff(out['last4/mean-patch'].data, last4Mean) < TOL, 'last4/mean-patch');
  }
  // Patch grids for segmentation: [n, D, g, g], CLS and registers dropped, block outputs normed.
  assert.ok(isGridBackbone(bb));
  const g = Math.round(Math.sqrt(t - prefix));
  const grids = await bb.runGrid(x, n, ['last_hidden_state', 'block:-2']);
  for (const [name, tokens] of [
    ['last_hidden_state', ref.lastHiddenState],
    ['block:-2', lastN(2)],
  ] as const) {
    assert.deepEqual(grids[name].dims, [n, d, g, g]);
    const expected = new Float64Array(n * d * g * g);
    for (let i = 0; i < n; i++) for (let p = 0; p < g * g; p++) for (let c = 0; c < d; c++) expected[(i * d + c) * g * g + p] = tokens[(i * t + prefix + p) * d + c];
    assert.ok(maxAbsDiff(grids[name].data, expected) < TOL, `grid ${name}`);
  }
}

const norms = new WeakMap<Backbone, { g: Float32Array; b: Float32Array }>();
function normOf(bb: Backbone): { g: Float32Array; b: Float32Array } {
  return norms.get(bb)!;
}

async function openChecked(name: string, opts: TinyVitOptions, inputSize?: number): Promise<Backbone> {
  const bb = await openBackbone({ card: await vit(name, opts) }, { inputSize, cacheDir });
  const w = tinyVitWeights(opts);
  norms.set(bb, { g: w.normG, b: w.normB });
  return bb;
}

describe('tiny ViT through OnnxBackbone', () => {
  it('224 px: CLS, mean-patch, last-4 block views and patch grids equal the JS reference', async () => {
    const opts = { seed: 11, patchSize: 14, dim: 32, depth: 6, heads: 2, layerScale: true, dynamicHW: true };
    const bb = await openChecked('v224', opts);
    try {
      const x = images(2, 224, 1);
      await checkAgainstReference(bb, tinyVitReference(tinyVitWeights(opts), x, 2, 224), x, 2, 1, true);
      // The card's own block feature: concatenated CLS of the last 4 blocks.
      const own = await bb.run(x, 2, ['last4-cls', 'last4/cls']);
      assert.deepEqual(own['last4-cls'].data, own['last4/cls'].data);
    } finally {
      await bb.dispose();
    }
  });

  it('448 px on a dynamic-H/W export: position embeddings interpolated in the graph', async () => {
    // depth 4 keeps the float64 reference at 448 px (1025 tokens) to a couple of seconds.
    const opts = { seed: 12, depth: 4, dynamicHW: true };
    const bb = await openChecked('v448', opts, 448);
    try {
      assert.equal(bb.inputSize, 448);
      const x = images(1, 448, 2);
      await checkAgainstReference(bb, tinyVitReference(tinyVitWeights(opts), x, 1, 448), x, 1, 1, true);
    } finally {
      await bb.dispose();
    }
  });

  it('registers are skipped by every view', async () => {
    const opts = { seed: 13, registers: 4 };
    const bb = await openChecked('vreg', opts);
    try {
      const x = images(2, 224, 3);
      await checkAgainstReference(bb, tinyVitReference(tinyVitWeights(opts), x, 2, 224), x, 2, 5, true);
    } finally {
      await bb.dispose();
    }
  });

  it('decomposed LayerNorm exports (opset < 17 style) are matched too', async () => {
    const opts = { seed: 14, depth: 5, decomposedNorm: true };
    const bb = await openChecked('vdec', opts);
    try {
      const x = images(1, 224, 4);
      await checkAgainstReference(bb, tinyVitReference(tinyVitWeights(opts), x, 1, 224), x, 1, 1, true);
    } finally {
      await bb.dispose();
    }
  });

  it('SAM-style encoder without CLS: mean-patch is the default, cls is refused', async () => {
    const opts = { seed: 15, depth: 4, clsToken: false };
    const bb = await openChecked('vnocls', opts);
    try {
      assert.ok(!bb.features.includes('cls'));
      const x = images(1, 224, 5);
      await checkAgainstReference(bb, tinyVitReference(tinyVitWeights(opts), x, 1, 224), x, 1, 0, false);
    } finally {
      await bb.dispose();
    }
    const cardFile = path.join(dir, 'vnocls.json');
    const card = JSON.parse(await fs.readFile(cardFile, 'utf8'));
    card.features = { bad: { output: 'last_hidden_state', view: 'cls' } };
    await fs.writeFile(cardFile, JSON.stringify(card));
    await assert.rejects(openBackbone({ card: cardFile }), (e: unknown) => e instanceof MedprobeError && /no CLS token.*use 'mean-patch'/.test(e.oneLine()));
  });

  it('exports without a final norm (CLIP-vision style) expose raw block outputs', async () => {
    const opts = { seed: 17, depth: 4, finalNorm: false };
    const bb = await openChecked('vnonorm', opts);
    try {
      const x = images(1, 224, 7);
      const ref = tinyVitReference(tinyVitWeights(opts), x, 1, 224);
      const out = await bb.run(x, 1, ['last4/cls', 'cls']);
      const expected = concatRows([4, 3, 2, 1].map((k) => refView(ref.blocks[4 - k], 1, ref.tokens, 32, 1, 'cls')), 1, 32);
      assert.ok(maxAbsDiff(out['last4/cls'].data, expected) < TOL);
      assert.ok(maxAbsDiff(out.cls.data, refView(ref.lastHiddenState, 1, ref.tokens, 32, 1, 'cls')) < TOL);
    } finally {
      await bb.dispose();
    }
  });

  it('edited graphs are cached under <cache>/models/edited/<sha256>-<N>.onnx and reused', async () => {
    const card = await vit('vcache', { seed: 18 });
    const first = await openBackbone({ card }, { cacheDir });
    const x = images(1, 224, 6);
    await first.run(x, 1, ['last4/cls']);
    await first.dispose();
    const bb = await openBackbone({ card }, { cacheDir });
    assert.ok(isGridBackbone(bb));
    try {
      const edited = path.join(cacheDir, 'models', 'edited', `${bb.fingerprint}-4.onnx`);
      const before = (await fs.stat(edited)).mtimeMs;
      await bb.run(x, 1, ['last4/cls']);
      assert.equal((await fs.stat(edited)).mtimeMs, before);
      // Asking for deeper blocks than the cached edit holds makes a bigger edit.
      await bb.runGrid(x, 1, ['block:-6']);
      await fs.access(path.join(cacheDir, 'models', 'edited', `${bb.fingerprint}-6.onnx`));
      await assert.rejects(bb.runGrid(x, 1, ['block:-7']), (e: unknown) => e instanceof MedprobeError && /has 6 transformer blocks; block:-7 does not exist/.test(e.oneLine()));
    } finally {
      await bb.dispose();
    }
  });

  it('resolution checks: fixed-H/W exports and sizes off the patch grid', async () => {
    const fixed = await vit('vfixed', { seed: 16, depth: 2, dynamicHW: false });
    const ok = await openBackbone({ card: fixed }, { inputSize: 224, cacheDir });
    await ok.dispose();
    await assert.rejects(
      openBackbone({ card: fixed }, { inputSize: 448 }),
      (e: unknown) => e instanceof MedprobeError && /fixed H\/W 224x224, so it cannot run at 448 px.*position-embedding interpolation must be traced into the export/.test(e.oneLine()),
    );
    // Dynamic H/W axes but position embeddings constant-folded at 224: fails on the first run, with the re-export hint.
    const folded = path.join(dir, 'vfixed.onnx');
    const model = decodeModel(await fs.readFile(folded));
    const dims = model.graph!.input![0].type!.tensorType!.shape!.dim!;
    dims[2] = { dimParam: 'height' };
    dims[3] = { dimParam: 'width' };
    await fs.writeFile(path.join(dir, 'vfolded.onnx'), encodeModel(model));
    const foldedCard = path.join(dir, 'vfolded.json');
    await fs.writeFile(foldedCard, JSON.stringify({ ...JSON.parse(await fs.readFile(fixed, 'utf8')), file: 'vfolded.onnx' }));
    const bb = await openBackbone({ card: foldedCard }, { inputSize: 448 });
    try {
      await assert.rejects(
        bb.run(images(1, 448, 0), 1, ['cls']),
        (e: unknown) => e instanceof MedprobeError && /ONNX Runtime failed running .*vfolded\.onnx at 448x448.*may not interpolate position embeddings/.test(e.oneLine()),
      );
    } finally {
      await bb.dispose();
    }
    await assert.rejects(
      openBackbone({ card: foldedCard }, { inputSize: 230 }),
      (e: unknown) => e instanceof MedprobeError && /230 is not a multiple of .* patch size 14.*e\.g\. 224/.test(e.oneLine()),
    );
  });

  it('a CNN has no transformer blocks: block features fail with a clear error', async () => {
    const { writeTinyCnnOnnx, writeTinyCnnCard } = await import('../../src/models/fixtures/tiny-cnn.js');
    const model = path.join(dir, 'cnn.onnx');
    await writeTinyCnnOnnx(model);
    const cardFile = path.join(dir, 'cnn.json');
    const card = await writeTinyCnnCard(cardFile, model);
    await fs.writeFile(cardFile, JSON.stringify({ ...card, features: { blk: { output: 'block:-1', view: 'cls' } } }));
    const bb = await openBackbone({ card: cardFile }, { cacheDir });
    try {
      await assert.rejects(bb.run(images(1, 32, 0), 1, ['blk']), (e: unknown) => e instanceof MedprobeError && /cannot find transformer blocks in .*cnn\.onnx/.test(e.oneLine()));
    } finally {
      await bb.dispose();
    }
  });
});
