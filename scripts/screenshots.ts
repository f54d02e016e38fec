// Screenshots of the leaderboard site for docs/img/, built from a REAL results folder:
//   node --import tsx scripts/screenshots.ts <results-dir> [out-dir=docs/img] [--model NAME] [--catalog cards.json | --no-catalog]
// Model cards come from medprobe's own catalog unless a JSON list of SiteCatalogEntry is given.
// Builds the site into a temp folder, opens it from file:// in Debian's chromium (playwright-core),
// and writes leaderboard.png, model.png (and figure.png, its first figure), dataset.png and study-tables.png. Needs /usr/bin/chromium (or MEDPROBE_CHROMIUM).
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { builtinSiteCatalog } from '../src/report/builtin-catalog.js';
import type { SiteCatalogEntry } from '../src/report/catalog.js';
import { buildSite } from '../src/report/site.js';
import { layoutProblems } from './site-layout-check.js';

function usage(msg: string): never {
  console.error(`${msg}\nusage: node --import tsx scripts/screenshots.ts <results-dir> [out-dir] [--model NAME] [--catalog cards.json | --no-catalog]`);
  process.exit(2);
}

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (!v) usage(`${name} needs a value`);
  args.splice(i, 2);
  return v;
};
const noCatalog = args.includes('--no-catalog');
if (noCatalog) args.splice(args.indexOf('--no-catalog'), 1);
const modelName = flag('--model');
const catalogFile = flag('--catalog');
const [resultsDir, outDir = 'docs/img'] = args;
if (!resultsDir) usage('missing <results-dir>');
const executable = [process.env.MEDPROBE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));
if (!executable) usage('no chromium binary: apt-get install chromium, or set MEDPROBE_CHROMIUM');

const catalog: SiteCatalogEntry[] = noCatalog ? [] : catalogFile ? JSON.parse(await fs.readFile(catalogFile, 'utf8')) : builtinSiteCatalog();
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-screens-'));
const browser = await chromium.launch({
  executablePath: executable,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});
try {
  const built = await buildSite(path.resolve(resultsDir), tmp, { catalog, png: false });
  await fs.mkdir(outDir, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`page console error: ${m.text()}`);
  });
  const shoot = async (rel: string, name: string): Promise<void> => {
    await page.goto(pathToFileURL(path.join(tmp, rel)).href);
    await page.waitForLoadState('load');
    const file = path.join(outDir, name);
    await page.screenshot({ path: file, fullPage: true });
    const problems = await layoutProblems(page);
    for (const p of problems) console.error(`layout: ${rel}: ${p}`);
    if (problems.length) process.exitCode = 1;
    console.log(`${file}  (${rel})${problems.length ? '' : ', no overflowing or overlapping text'}`);
  };
  await shoot('index.html', 'leaderboard.png');
  const models = built.pages.filter((p) => p.startsWith('models/'));
  const links: Record<string, string> = JSON.parse(
    (await fs.readFile(path.join(tmp, 'index.html'), 'utf8')).match(/id="medprobe-data">([^<]*)</)![1],
  ).links.models;
  const model = modelName ? links[modelName] : models[0];
  if (modelName && !model) usage(`no model named ${modelName} in ${resultsDir}`);
  if (model) {
    await shoot(model, 'model.png');
    // A figure at its display size, as a reader sees it (the layout check above covered its labels).
    const figure = page.locator('figure:has(svg)').first();
    if (await figure.count()) {
      await figure.screenshot({ path: path.join(outDir, 'figure.png') });
      console.log(`${path.join(outDir, 'figure.png')}  (${model}, first figure)`);
    }
  }
  const dataset = built.pages.find((p) => p.startsWith('datasets/'));
  if (dataset) await shoot(dataset, 'dataset.png');
  await shoot('study-tables.html', 'study-tables.png');
} finally {
  await browser.close();
  await fs.rm(tmp, { recursive: true, force: true });
}
