import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JSDOM } from 'jsdom';
import { buildSite } from '../../src/report/site.js';
import { jsonForScriptTag } from '../../src/report/escape.js';
import { CATALOG, XSS_NAME, writeSiteFixture } from './site-fixture.js';
import { makeResult } from '../results/make-result.js';

test('buildSite: pages, figures, raw results and escaping, checked in Node', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-site-'));
  try {
    const results = path.join(tmp, 'results');
    const out = path.join(tmp, 'site');
    await writeSiteFixture(results);
    const built = await buildSite(results, out, { catalog: CATALOG });
    assert.ok(built.pages.includes('index.html'));
    // 3 models with results (2 with cards), 4 datasets.
    assert.equal(built.pages.filter((p) => p.startsWith('models/')).length, 3);
    assert.equal(built.pages.filter((p) => p.startsWith('datasets/')).length, 4);
    assert.deepEqual(built.skipped, []);

    const index = await fs.readFile(path.join(out, 'index.html'), 'utf8');
    // No inline executable script: every <script> is either the JSON block or a src= file.
    const scripts = [...index.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
    assert.deepEqual(scripts, [' type="application/json" id="medprobe-data"', ' src="assets/site.js"']);
    assert.ok(!index.includes(XSS_NAME), 'raw XSS name must not appear in the page');
    const { document } = new JSDOM(index).window;
    const csp = document.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute('content')!;
    assert.match(csp, /script-src 'self';/);
    assert.ok(!csp.includes('unsafe-inline') || !/script-src[^;]*unsafe-inline/.test(csp));
    // The tables are in the HTML itself (the page reads without JavaScript), ranked as the library ranks them.
    const ssrRows = [...document.querySelectorAll('section[data-protocol="linear"] tbody tr')].map((tr) => tr.getAttribute('data-model'));
    assert.deepEqual(ssrRows, ['dinov2-small', XSS_NAME, 'rad-dino']);
    assert.ok(document.querySelector('form#filters')!.hasAttribute('hidden'), 'filters need the script, so the HTML hides them');
    // Counts: models WITH results, not catalog entries.
    assert.match(document.querySelector('p.note')!.textContent!, /3 models with results on 4 datasets, from 19 result files/);
    const data = JSON.parse(document.getElementById('medprobe-data')!.textContent!);
    assert.ok(Object.keys(data.links.models).includes(XSS_NAME), 'the name round-trips through the JSON block');
    const all = data.views['all|all'];
    const linear = all.find((t: { protocol: string }) => t.protocol === 'linear');
    const xssRow = linear.rows.find((r: { model: string }) => r.model === XSS_NAME);
    const mri = linear.columns.findIndex((c: { dataset: string }) => c.dataset === 'brain-mri');
    assert.equal(xssRow.cells[mri], null, 'missing cell stays missing');
    assert.ok(data.views['CT|all'].every((t: { columns: { modality: string }[] }) => t.columns.every((c) => c.modality === 'CT')));

    // Figures: inline SVG with title/desc and marks; downloads exist and the PNG is a PNG.
    const figs = [...document.querySelectorAll('figure.fig svg')];
    assert.equal(figs.length, 3);
    for (const svg of figs) {
      assert.ok(svg.querySelector('title')?.textContent);
      assert.ok(svg.querySelector('desc')?.textContent);
      assert.ok(svg.querySelectorAll('[aria-label="dot"] circle').length > 0, 'figure has dots');
    }
    const cross = document.querySelector('#fig-cross-task-rank desc')!.textContent!;
    // Fig. 1 as the study draws it: U-Net segmentation rank (x) vs linear-probe classification rank (y).
    // Hand-worked from site-fixture AUROC, linear only (chest, adrenal, brain): rad-dino ranks 1,3,2 → 2.00, seg-unet (Dice+Jaccard)/2 0.525 > 0.465 → 1;
    // the XSS model ranks 3,1 (brain missing) → 2.00, segmentation 2. dinov2-small has no segmentation result, so no dot.
    assert.match(cross, /rad-dino: segmentation 1\.00, classification 2\.00/);
    assert.match(cross, /alert\(1\)>: segmentation 2\.00, classification 2\.00/);
    assert.doesNotMatch(cross, /dinov2-small/);
    // Score vs parameters: each model named once (not once per protocol line), the x axis ticked at
    // the models' own parameter counts only.
    const scaling = document.querySelector('#fig-scaling-params svg')!;
    const names = [...scaling.querySelectorAll('g[aria-label="text"] text')].map((t) => t.textContent);
    assert.deepEqual(names.sort(), ['dinov2-small', XSS_NAME].sort());
    assert.ok(scaling.querySelectorAll('g[aria-label="dot"] circle').length > 2, 'one dot per model and protocol');
    const ticks = [...scaling.querySelectorAll('g[aria-label="x-axis tick label"] text')].map((t) => t.textContent);
    assert.deepEqual(ticks, ['22.0 M', '86.0 M']);
    for (const f of built.figures) {
      const svg = await fs.readFile(path.join(out, f), 'utf8');
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      const pngHead = (await fs.readFile(path.join(out, f.replace(/\.svg$/, '.png')))).subarray(0, 8);
      assert.deepEqual([...pngHead], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    }
    assert.ok(built.figures.some((f) => f.startsWith('figures/few-shot-')));
    assert.equal(built.figures.filter((f) => f.startsWith('figures/grid-')).length, 8);

    // Model page of the XSS model: name, organisation and rule are text, results link to raw JSON + CSV.
    const xssPage = built.pages.find((p) => p.startsWith('models/') && !/dinov2|rad-dino/.test(p))!;
    const html = await fs.readFile(path.join(out, xssPage), 'utf8');
    assert.ok(!/<img src=x|<b>evil|<script>alert/.test(html));
    const md = new JSDOM(html).window.document;
    assert.equal(md.querySelector('h1')!.textContent, XSS_NAME);
    assert.equal(md.querySelectorAll('img').length, 0);
    const links = [...md.querySelectorAll('a')].map((a) => a.getAttribute('href')!);
    const raw = links.filter((h) => h.endsWith('.json'));
    assert.equal(raw.length, 3 + 2 + 1);
    for (const h of raw) JSON.parse(await fs.readFile(path.resolve(out, 'models', h), 'utf8'));
    const csv = await fs.readFile(path.resolve(out, 'models', links.find((h) => h.endsWith('.predictions.csv'))!), 'utf8');
    assert.equal(csv, 'id,label,score\na,0,0.1\nb,1,0.8\nc,1,0.6\nd,0,0.3\n');

    // A model without a catalog entry says so; the dataset page shows preprocessing, leakage, overlay.
    const rad = await fs.readFile(path.join(out, 'models/rad-dino.html'), 'utf8');
    assert.match(rad, /No catalog entry/);
    const ds = new JSDOM(await fs.readFile(path.join(out, 'datasets/chest-xray.html'), 'utf8')).window.document;
    assert.match(ds.body.textContent!, /Cross-split near-duplicates\s*1/);
    assert.match(ds.body.textContent!, /CC BY 4\.0/);
    assert.ok(ds.querySelector('th[scope="col"]') && ds.querySelector('caption'));
    const seg = new JSDOM(await fs.readFile(path.join(out, 'datasets/brain-seg.html'), 'utf8')).window.document;
    const img = seg.querySelector('.overlays img')!;
    assert.match(img.getAttribute('alt')!, /Segmentation overlay 1 of 1: rad-dino/);
    await fs.access(path.resolve(out, 'datasets', img.getAttribute('src')!));
    assert.match(await fs.readFile(path.join(out, 'leaderboard.md'), 'utf8'), /&lt;img src=x onerror=alert\(1\)&gt;/);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});

test('jsonForScriptTag cannot close the script element and round-trips', () => {
  const v = { name: '</script><script>alert(1)</script><!-- & \u2028' };
  const s = jsonForScriptTag(v);
  assert.ok(!/[<>&\u2028]/.test(s));
  assert.deepEqual(JSON.parse(s), v);
});

test('buildSite: empty results folder, colliding slugs, and an overlay outside the results folder', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-site-edge-'));
  try {
    const results = path.join(tmp, 'results');
    await fs.mkdir(results);
    const empty = await buildSite(results, path.join(tmp, 'empty'), { png: false });
    assert.deepEqual(empty.pages, ['index.html', 'study-tables.html']);
    assert.equal(empty.skipped.length, 3);

    const put = async (rel: string, v: unknown): Promise<void> => {
      await fs.mkdir(path.dirname(path.join(results, rel)), { recursive: true });
      await fs.writeFile(path.join(results, rel), JSON.stringify(v));
    };
    await put('a_b/ds/knn.json', makeResult({ model: 'a/b', dataset: 'ds', protocol: 'knn', metrics: { auroc: 0.8 } }));
    await put('a-b/ds/knn.json', makeResult({ model: 'a-b', dataset: 'ds', protocol: 'knn', metrics: { auroc: 0.7 } }));
    const two = await buildSite(results, path.join(tmp, 'two'), { png: false });
    assert.deepEqual(two.pages.filter((p) => p.startsWith('models/')).sort(), ['models/a-b-2.html', 'models/a-b.html']);
    // Slugs go to names in first-seen order (result files in path order: a-b/ before a_b/).
    assert.match(await fs.readFile(path.join(tmp, 'two', 'models', 'a-b.html'), 'utf8'), /<h1>a-b<\/h1>/);
    assert.match(await fs.readFile(path.join(tmp, 'two', 'models', 'a-b-2.html'), 'utf8'), /<h1>a\/b<\/h1>/);

    // Registry facts: MedMNIST licence/citation and the study registry's modality, without side files.
    await put('a-b/pneumoniamnist/knn.json', makeResult({ model: 'a-b', dataset: 'pneumoniamnist', protocol: 'knn', metrics: { auroc: 0.9 } }));
    await put('a-b/chexpert/knn.json', makeResult({ model: 'a-b', dataset: 'chexpert', protocol: 'knn', metrics: { auroc: 0.8 } }));
    await put('_datasets/ds.json', { name: 'ds', url: 'javascript:alert(1)', modality: 'CT' });
    const facts = await buildSite(results, path.join(tmp, 'facts'), { png: false, catalog: [{ name: 'A-B model', aliases: ['a-b'], url: 'https://example.org/a-b" onclick="x' }] });
    // The card matched a result name through its alias: still one page per model.
    assert.deepEqual(facts.pages.filter((p) => p.startsWith('models/')).sort(), ['models/a-b-2.html', 'models/a-b.html']);
    const pm = new JSDOM(await fs.readFile(path.join(tmp, 'facts', 'datasets', 'pneumoniamnist.html'), 'utf8')).window.document;
    assert.match(pm.body.textContent!, /LicenceCC BY 4\.0/);
    assert.match(pm.body.textContent!, /MedMNIST v2/);
    assert.equal(pm.querySelector('dd a')!.getAttribute('href'), 'https://medmnist.com/');
    const cx = await fs.readFile(path.join(tmp, 'facts', 'datasets', 'chexpert.html'), 'utf8');
    assert.match(cx, /<dt>Modality<\/dt><dd>X-ray<\/dd>/);
    const dsPage = new JSDOM(await fs.readFile(path.join(tmp, 'facts', 'datasets', 'ds.html'), 'utf8')).window.document;
    assert.equal(dsPage.querySelectorAll('main dd a').length, 0, 'a javascript: URL is text, not a link');
    assert.match(dsPage.body.textContent!, /Modality\s*CT/);
    const card = new JSDOM(await fs.readFile(path.join(tmp, 'facts', 'models', 'a-b.html'), 'utf8')).window.document;
    assert.match(card.body.textContent!, /Catalog entry: A-B model\./);
    const a = card.querySelector('dl.facts a')!;
    assert.equal(a.getAttribute('href'), 'https://example.org/a-b');
    assert.equal(a.getAttribute('onclick'), null);
    const index = new JSDOM(await fs.readFile(path.join(tmp, 'facts', 'index.html'), 'utf8')).window.document;
    const views = JSON.parse(index.getElementById('medprobe-data')!.textContent!).views;
    assert.deepEqual(views['X-ray|all'][0].columns.map((c: { dataset: string }) => c.dataset), ['chexpert']);

    await put('a-b/ds/seg.json', makeResult({ model: 'a-b', dataset: 'ds', protocol: 'seg', metrics: { dice: 0.5 }, extra: { overlays: ['../../../secret.png'] } }));
    await assert.rejects(buildSite(results, path.join(tmp, 'three'), { png: false }), /overlay \.\.\/\.\.\/\.\.\/secret\.png in a-b\/ds\/seg\.json must be a \.png inside the results folder/);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
