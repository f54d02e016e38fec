import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { download } from '../../src/util/download.js';
import { MedprobeError } from '../../src/util/errors.js';
import { startFixtureServer, type FixtureServer } from '../helpers/http-server.js';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function withServer(fn: (srv: FixtureServer, dir: string, body: Uint8Array) => Promise<void>): Promise<void> {
  const body = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
  const srv = await startFixtureServer({ '/f.bin': body });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-dl-'));
  try {
    await fn(srv, dir, body);
  } finally {
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const medErr = (re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof MedprobeError, `expected MedprobeError, got ${String(e)}`);
  assert.match(e.message, re);
  assert.ok(e.hint);
  assert.ok(!e.oneLine().includes('\n'));
  return true;
};

test('downloads, verifies md5 and sha256, reports progress, follows redirects', async () => {
  await withServer(async (srv, dir, body) => {
    srv.redirect('/old.bin', '/f.bin', 301);
    const dest = path.join(dir, 'a', 'f.bin');
    const seen: number[] = [];
    const r = await download(`${srv.origin}/old.bin?x=1`, dest, { md5: md5(body), sha256: sha256(body), onProgress: (d, t) => (assert.equal(t, body.length), seen.push(d)) });
    assert.deepEqual(await readFile(dest), Buffer.from(body));
    assert.equal(r.bytes, body.length);
    assert.equal(r.md5, md5(body));
    assert.equal(r.resumedFrom, 0);
    assert.equal(seen.at(-1), body.length);
    assert.deepEqual(await readdir(path.join(dir, 'a')), ['f.bin']);
  });
});

test('checksum mismatch leaves neither the file nor a temp behind', async () => {
  await withServer(async (srv, dir) => {
    const dest = path.join(dir, 'f.bin');
    await writeFile(dest, 'stale'); // an earlier bad copy must not survive either
    const wrong = '0'.repeat(32);
    await assert.rejects(download(`${srv.origin}/f.bin`, dest, { md5: wrong, resume: true }), medErr(/checksum mismatch for .*f\.bin: expected md5 0{32}, got [0-9a-f]{32}/));
    assert.deepEqual(await readdir(dir), []);
  });
});

test("an npm-style integrity (sha512-<base64>) is checked; a mismatch keeps nothing", async () => {
  await withServer(async (srv, dir, body) => {
    const dest = path.join(dir, 'f.tgz');
    const integrity = `sha512-${createHash('sha512').update(body).digest('base64')}`;
    await download(`${srv.origin}/f.bin`, dest, { integrity });
    assert.deepEqual(await readFile(dest), Buffer.from(body));
    const wrong = `sha512-${createHash('sha512').update('other').digest('base64')}`;
    await assert.rejects(download(`${srv.origin}/f.bin`, dest, { integrity: wrong }), medErr(/checksum mismatch for .*f\.tgz: expected integrity sha512-/));
    assert.deepEqual(await readdir(dir), []);
    await assert.rejects(download(`${srv.origin}/f.bin`, dest, { integrity: 'md5-abc' }), medErr(/not a Subresource Integrity string: 'md5-abc'/));
  });
});

test('HTTP errors and unreachable hosts give one-line errors naming the URL', async () => {
  await withServer(async (srv, dir) => {
    const dest = path.join(dir, 'g.bin');
    await assert.rejects(download(`${srv.origin}/missing.bin`, dest), medErr(/HTTP 404 Not Found for http:\/\/127\.0\.0\.1:\d+\/missing\.bin/));
    srv.fail('/f.bin', 503, 1);
    await assert.rejects(download(`${srv.origin}/f.bin`, dest), medErr(/HTTP 503/));
    assert.equal(existsSync(dest), false);
    // A port nothing listens on: grab a free one and close it.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    await assert.rejects(download(`http://127.0.0.1:${port}/x.npz`, dest), (e: unknown) => medErr(/cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/)(e) && /offline/.test((e as MedprobeError).hint!));
    await assert.rejects(download('ftp://example.org/x', dest), medErr(/not an http\(s\) URL/));
    assert.deepEqual(await readdir(dir), []);
  });
});

test('a truncated transfer resumes with a Range request and ends with the right hash', async () => {
  await withServer(async (srv, dir, body) => {
    const dest = path.join(dir, 'f.bin');
    srv.truncate('/f.bin', 100_000);
    await assert.rejects(download(`${srv.origin}/f.bin`, dest, { md5: md5(body), resume: true }), medErr(/interrupted after \d+ of 300000 bytes/));
    assert.equal(existsSync(dest), false);
    const partSize = (await readFile(`${dest}.part`)).length;
    assert.ok(partSize > 0 && partSize < body.length, `part has ${partSize} bytes`);
    const r = await download(`${srv.origin}/f.bin`, dest, { md5: md5(body), resume: true });
    assert.equal(r.resumedFrom, partSize);
    const last = srv.hits('/f.bin').at(-1)!;
    assert.equal(last.headers.range, `bytes=${partSize}-`);
    assert.equal(last.status, 206);
    assert.deepEqual(await readFile(dest), Buffer.from(body));
    assert.equal(existsSync(`${dest}.part`), false);
  });
});

test('without resume a broken transfer removes its part; a server that ignores Range restarts cleanly', async () => {
  await withServer(async (srv, dir, body) => {
    const dest = path.join(dir, 'f.bin');
    srv.truncate('/f.bin', 50_000);
    await assert.rejects(download(`${srv.origin}/f.bin`, dest, { md5: md5(body) }), medErr(/interrupted/));
    assert.deepEqual(await readdir(dir), []);
    // A stale part whose bytes are garbage; the server answers 200 to the Range request.
    await writeFile(`${dest}.part`, Buffer.alloc(1234, 7));
    srv.ignoreRange('/f.bin');
    const r = await download(`${srv.origin}/f.bin`, dest, { md5: md5(body), resume: true });
    assert.equal(r.resumedFrom, 0);
    assert.equal(srv.hits('/f.bin').at(-1)!.status, 200);
    assert.deepEqual(await readFile(dest), Buffer.from(body));
  });
});

test('a part longer than the remote file (416) starts over', async () => {
  await withServer(async (srv, dir, body) => {
    const dest = path.join(dir, 'f.bin');
    await writeFile(`${dest}.part`, Buffer.alloc(body.length + 10));
    const r = await download(`${srv.origin}/f.bin`, dest, { sha256: sha256(body), resume: true });
    assert.equal(r.resumedFrom, 0);
    assert.deepEqual(srv.hits('/f.bin').map((h) => h.status), [416, 200]);
  });
});

test('asks for identity encoding, and copes with a server that gzips anyway', async () => {
  await withServer(async (srv, dir, body) => {
    const { gzipSync } = await import('node:zlib');
    srv.set('/gz.json', gzipSync(body), { 'content-encoding': 'gzip' });
    const dest = path.join(dir, 'gz.json');
    const r = await download(`${srv.origin}/gz.json`, dest, { md5: md5(body) });
    assert.equal(r.bytes, body.length);
    assert.deepEqual(await readFile(dest), Buffer.from(body));
    assert.equal(srv.hits('/gz.json')[0].headers['accept-encoding'], 'identity');
  });
});

