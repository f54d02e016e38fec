import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assessOpenness, catalogRows, getCatalogCard, listCatalog, localAvailability, CatalogCardSchema } from '../../src/models/catalog/index.js';
import { hubModelDir, HUB_MANIFEST } from '../../src/models/hub-pull.js';
import { MedprobeError } from '../../src/util/errors.js';

const TABLE2 = [
  'dinov2-vits14', 'dinov2-vitb14', 'dinov2-vitl14', 'dinov2-vitg14', 'clip-vit-l14-openai', 'openclip-vit-h14-laion2b',
  'mae-vit-l16', 'msn-vit-l16', 'sam-vit-l', 'vit-l16-in21k', 'resnet152-in1k', 'densenet201-in1k', 'vgg19-in1k',
];
const MEDICAL = ['lvm-med-resnet50', 'lvm-med-vit-b', 'biovfm', 'rad-dino', 'biomedclip', 'mobilenetv2-035-imagenet'];

/** Every object in a card that holds a number must say where it comes from (citation years are bibliographic). */
function unsourcedNumbers(node: unknown, at: string, out: string[]): string[] {
  if (Array.isArray(node)) return out;
  if (!node || typeof node !== 'object') return out;
  const o = node as Record<string, unknown>;
  // Citation years are bibliographic; a recipe's model card repeats sourced facts (checked against them below).
  if (at.endsWith('.citation') || at.endsWith('.onnx.card')) return out;
  const hasNumber = Object.values(o).some((v) => typeof v === 'number' || (Array.isArray(v) && v.some((x) => typeof x === 'number')));
  if (hasNumber && !(typeof o.source === 'string' && o.source.length >= 8)) out.push(at);
  if ('value' in o && o.value === null && !(typeof o.unknown === 'string' && o.unknown.length > 0)) out.push(`${at} (null without unknown)`);
  for (const [k, v] of Object.entries(o)) unsourcedNumbers(v, `${at}.${k}`, out);
  return out;
}

describe('model catalog', () => {
  it('holds every Table 2 backbone and the medical ones, each parsing against the schema', () => {
    const cards = listCatalog();
    const ids = cards.map((c) => c.id);
    for (const id of [...TABLE2, ...MEDICAL]) assert.ok(ids.includes(id), `missing ${id}`);
    for (const c of cards) {
      assert.equal(CatalogCardSchema.safeParse(c).success, true, c.id);
      assert.equal(c.inReferenceStudy, TABLE2.includes(c.id), `${c.id}: inReferenceStudy`);
    }
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  });

  it('no card claims a number it cannot source', () => {
    for (const c of listCatalog()) assert.deepEqual(unsourcedNumbers(c, c.id, []), [], c.id);
    // The schema itself refuses a bare number and a null without a reason.
    const card = structuredClone(getCatalogCard('dinov2-vits14')) as Record<string, unknown>;
    assert.equal(CatalogCardSchema.safeParse({ ...card, params: { value: 21e6 } }).success, false);
    assert.equal(CatalogCardSchema.safeParse({ ...card, params: { value: null } }).success, false);
    assert.equal(CatalogCardSchema.safeParse({ ...card, params: { value: null, unknown: 'not published' } }).success, true);
  });

  it('openness rule, hand-checked on three cards', () => {
    // DINOv2 ViT-B/14: weights open (2) + code open (1) + data closed (0) + Apache-2.0 (1) = 4/5 → 80, open-weights.
    assert.deepEqual(assessOpenness(getCatalogCard('dinov2-vitb14').openness), {
      class: 'open-weights',
      score: 80,
      points: { weights: 2, trainingCode: 1, trainingData: 0, licence: 1 },
    });
    // MAE ViT-L/16: open (2) + code open (1) + ImageNet partial (0.5) + CC-BY-NC (0) = 3.5/5 → 70, restricted by licence.
    assert.deepEqual(assessOpenness(getCatalogCard('mae-vit-l16').openness), {
      class: 'restricted',
      score: 70,
      points: { weights: 2, trainingCode: 1, trainingData: 0.5, licence: 0 },
    });
    // BiomedCLIP: open (2) + code unknown (0) + data unknown (0) + research-only (0) = 2/5 → 40, restricted.
    assert.deepEqual(assessOpenness(getCatalogCard('biomedclip').openness), {
      class: 'restricted',
      score: 40,
      points: { weights: 2, trainingCode: 0, trainingData: 0, licence: 0 },
    });
    const all = { weights: 'open', trainingCode: 'open', trainingData: 'open', licenceRestriction: 'none', evidence: 'hypothetical fully open model' } as const;
    assert.deepEqual(assessOpenness(all), { class: 'open', score: 100, points: { weights: 2, trainingCode: 1, trainingData: 1, licence: 1 } });
    assert.equal(assessOpenness({ ...all, weights: 'closed' }).class, 'closed');
    assert.equal(assessOpenness({ ...all, weights: 'gated' }).class, 'restricted');
  });

  it('unknown id → MedprobeError naming close matches', () => {
    assert.throws(() => getCatalogCard('dinov2-vitb16'), (e: unknown) => e instanceof MedprobeError && /no model 'dinov2-vitb16'/.test(e.message) && (e.hint ?? '').includes('dinov2-vitb14'));
  });

  it('every card says how to get an ONNX file with a dynamic batch, and dynamic H/W or a card fixed at its size', () => {
    for (const c of listCatalog()) {
      if (c.onnx.tool === 'optimum-cli') assert.match(c.onnx.command, /^optimum-cli export onnx --model \S+\/\S+ /, c.id);
      if (c.onnx.tool === 'torch.onnx.export') {
        assert.match(c.onnx.command, /torch\.onnx\.export\(model/, c.id);
        assert.match(c.onnx.command, /'pixel_values': \{0: 'batch'/, c.id);
        // Fixed H/W (no position-embedding interpolation in the export) is said, and the card runs at that size.
        if (!/'pixel_values': \{0: 'batch', 2: 'height', 3: 'width'\}/.test(c.onnx.command)) {
          assert.match(c.onnx.notes ?? '', /H\/W are fixed at (\d+)/, c.id);
          assert.equal(c.onnx.card?.input.size, Number(/H\/W are fixed at (\d+)/.exec(c.onnx.notes!)![1]), c.id);
        }
      }
    }
  });

  it("a recipe's model card repeats the catalog card's sourced preprocessing and patch size", () => {
    for (const c of listCatalog()) {
      const card = c.onnx.card;
      if (!card) continue;
      assert.ok(!('unknown' in c.preprocessing), `${c.id}: a card needs sourced preprocessing`);
      const pre = c.preprocessing as Exclude<typeof c.preprocessing, { unknown: string }>;
      const { name: _n, layout: _l, channels: _c, cropSize, ...input } = card.input;
      assert.deepEqual(input, { size: pre.size, rescale: pre.rescale, mean: pre.mean, std: pre.std, resample: pre.resample, ...(pre.resizeShortestEdge ? { resizeShortestEdge: pre.resizeShortestEdge } : {}) }, c.id);
      if (pre.resizeShortestEdge) assert.equal(cropSize, pre.size, c.id);
      if (card.vit) assert.equal(card.vit.patchSize, c.patchSize?.value, c.id);
    }
  });

  it('list rows carry params, images, licence and openness; nothing is local in an empty cache', () => {
    const rows = catalogRows({ cacheDir: '/nonexistent-medprobe-cache' });
    const vitb = rows.find((r) => r.id === 'dinov2-vitb14')!;
    assert.equal(vitb.params, 86_000_000);
    assert.equal(vitb.pretrainingImages, 142_000_000);
    assert.equal(vitb.licence, 'Apache-2.0');
    assert.equal(vitb.local, undefined);
    assert.equal(rows.find((r) => r.id === 'sam-vit-l')!.params, null);
  });

  it('a pulled hub folder (complete manifest) makes its catalog entry local', async () => {
    const cache = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-catalog-'));
    try {
      const dir = hubModelDir('onnx-community/dinov2-small', { cacheDir: cache });
      await fs.mkdir(dir, { recursive: true });
      assert.equal(localAvailability(getCatalogCard('dinov2-vits14'), { cacheDir: cache }), undefined, 'no manifest: unfinished pull');
      await fs.writeFile(path.join(dir, HUB_MANIFEST), '{}');
      assert.equal(localAvailability(getCatalogCard('dinov2-vits14'), { cacheDir: cache }), dir);
      assert.equal(localAvailability(getCatalogCard('dinov2-vitb14'), { cacheDir: cache }), undefined);
    } finally {
      await fs.rm(cache, { recursive: true, force: true });
    }
  });
});
