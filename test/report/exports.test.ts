import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildLeaderboard } from '../../src/results/leaderboard.js';
import { leaderboardMarkdown } from '../../src/report/markdown.js';
import { leaderboardCsv, writeLeaderboardExports } from '../../src/report/exports.js';
import { makeResult } from '../results/make-result.js';

const XSS = '<img src=x onerror=alert(1)>';
const results = [
  makeResult({ model: 'dino|v2', dataset: 'ct, abdomen', protocol: 'linear', metrics: { auroc: 0.91234 }, ci: { auroc: { low: 0.88, high: 0.94 } }, modality: 'CT' }),
  makeResult({ model: XSS, dataset: 'ct, abdomen', protocol: 'linear', metrics: { auroc: 0.8 }, modality: 'CT' }),
  makeResult({ model: XSS, dataset: 'brain', protocol: 'linear', metrics: { auroc: 0.7 }, modality: 'MRI', dims: 3 }),
];

test('leaderboardMarkdown: ranked rows, CI in parentheses, missing as —, names escaped', () => {
  const md = leaderboardMarkdown(buildLeaderboard(results));
  const lines = md.split('\n');
  const header = lines.find((l) => l.startsWith('| Rank'))!;
  assert.equal(header, '| Rank | Model | brain (MRI, 3D) | ct, abdomen (CT, 2D) | Mean rank (n) | Borda |');
  const rows = lines.filter((l) => /^\| \d/.test(l));
  // dino|v2: ranked 1 on its only task (mean 1.00, Borda 1); the XSS model: 1 on brain, 2 on ct → 1.50, Borda 0.
  assert.equal(rows[0], '| 1 | dino\\|v2 | — | 0.912 (0.880–0.940) | 1.00 (1) | 1 |');
  assert.equal(rows[1], '| 2 | &lt;img src=x onerror=alert(1)&gt; | 0.700 | 0.800 | 1.50 (2) | 0 |');
  assert.ok(!md.includes('<img'));
  assert.match(md, /schema: medprobe\.leaderboard\/v1/);
  assert.match(md, /95% bootstrap CI/);
});

test('leaderboardCsv: RFC 4180 quoting, empty fields for missing values, one row per result file', () => {
  const withNull = [...results, makeResult({ model: 'dino|v2', dataset: 'brain', protocol: 'linear', metrics: { auroc: null } })];
  const csv = leaderboardCsv(buildLeaderboard(withNull)).trim().split('\n');
  assert.equal(csv.length, 1 + 4);
  assert.ok(csv.includes('medprobe.leaderboard/v1,linear,auroc,dino|v2,brain,MRI,classification,3,,,,,'));
  assert.ok(csv.includes('medprobe.leaderboard/v1,linear,auroc,dino|v2,"ct, abdomen",CT,classification,2,0.91234,0.88,0.94,0.95,1'));
});

test('writeLeaderboardExports writes json, csv, ranking csv and md with the schema version', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-exports-'));
  try {
    const lb = buildLeaderboard(results);
    const p = await writeLeaderboardExports(lb, path.join(dir, 'out'));
    const json = JSON.parse(await fs.readFile(p.json, 'utf8'));
    assert.equal(json.schema, 'medprobe.leaderboard/v1');
    assert.deepEqual(json, JSON.parse(JSON.stringify(lb)));
    assert.match(await fs.readFile(p.csv, 'utf8'), /^schema,protocol,metric,model,dataset/);
    const ranking = (await fs.readFile(p.rankingCsv, 'utf8')).trim().split('\n');
    assert.equal(ranking[1], 'medprobe.leaderboard/v1,linear,auroc,1,dino|v2,1,1,1');
    assert.equal(await fs.readFile(p.md, 'utf8'), leaderboardMarkdown(lb));
    assert.deepEqual((await fs.readdir(path.join(dir, 'out'))).filter((f) => f.startsWith('.tmp')), []);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
