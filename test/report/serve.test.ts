import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveSite } from '../../src/report/serve.js';

test('serveSite: localhost only, index for /, content types, no escape from the site folder', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-serve-'));
  try {
    const site = path.join(tmp, 'site');
    await fs.mkdir(path.join(site, 'assets'), { recursive: true });
    await fs.writeFile(path.join(site, 'index.html'), '<!doctype html><title>x</title>');
    await fs.writeFile(path.join(site, 'assets', 'site.js'), '1;');
    await fs.writeFile(path.join(tmp, 'secret.txt'), 'secret');
    const s = await serveSite(site, 0);
    try {
      assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = await fetch(s.url);
      assert.equal(index.status, 200);
      assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await index.text(), '<!doctype html><title>x</title>');
      assert.equal((await fetch(s.url + 'assets/site.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal((await fetch(s.url + '..%2fsecret.txt')).status, 404);
      assert.equal((await fetch(s.url + '%2e%2e/secret.txt')).status, 404);
      assert.equal((await fetch(s.url + 'missing.html')).status, 404);
      assert.equal((await fetch(s.url, { method: 'POST' })).status, 405);
    } finally {
      await s.close();
    }
    await assert.rejects(serveSite(tmp, 0), /no site at .*index\.html missing/);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
