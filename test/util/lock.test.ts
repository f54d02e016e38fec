import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lockIsStale, withFileLock } from '../../src/util/lock.js';
import { medprobeError, withTempDir } from '../helpers/assertions.js';

test('withFileLock serialises holders and removes its lock', async () => {
  await withTempDir('lock', async (dir) => {
    const lock = path.join(dir, 'x.lock');
    const events: string[] = [];
    let waits = 0;
    const job = (name: string) =>
      withFileLock(lock, async () => {
        events.push(`${name}+`);
        await new Promise((r) => setTimeout(r, 30));
        events.push(`${name}-`);
      }, { pollMs: 5, onWait: () => waits++ });
    await Promise.all([job('a'), job('b')]);
    // Either may win the race for the lock file (the fs calls run on libuv's pool); the other waits for it.
    const [first, second] = [events[0][0], events[2][0]];
    assert.notEqual(first, second);
    assert.deepEqual(events, [`${first}+`, `${first}-`, `${second}+`, `${second}-`]);
    assert.equal(waits, 1);
    assert.equal(existsSync(lock), false);
  });
});

test('a dead holder on this host is taken over at once; a live one is waited for, then named', async () => {
  await withTempDir('lock', async (dir) => {
    const lock = path.join(dir, 'x.npz.lock');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await writeFile(lock, JSON.stringify({ pid: dead, host: os.hostname(), token: 't' }));
    assert.equal(await withFileLock(lock, async () => 42, { waitMs: 1000, pollMs: 5 }), 42);

    await writeFile(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), token: 't' }));
    await assert.rejects(withFileLock(lock, async () => 0, { waitMs: 50, pollMs: 5, what: 'the download of x.npz' }), medprobeError(/the download of x\.npz is locked by another medprobe process \(pid \d+/));
    // Not ours: left in place for its holder.
    assert.ok(existsSync(lock));
  });
});

test('stale rule: no heartbeat for staleMs (e.g. a holder on another host that died)', async () => {
  await withTempDir('lock', async (dir) => {
    const lock = path.join(dir, 'x.lock');
    await writeFile(lock, JSON.stringify({ pid: 1, host: 'elsewhere', token: 't' }));
    const fresh = { info: { pid: 1, host: 'elsewhere', token: 't', since: '' }, mtimeMs: (await stat(lock)).mtimeMs };
    assert.equal(lockIsStale(fresh, { staleMs: 60_000 }), false);
    assert.equal(lockIsStale(fresh, { staleMs: 60_000, now: fresh.mtimeMs + 61_000 }), true);
    await utimes(lock, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    assert.equal(await withFileLock(lock, async () => 'taken', { pollMs: 5 }), 'taken');
  });
});

test('the holder refreshes the lock\'s mtime (heartbeat)', async () => {
  await withTempDir('lock', async (dir) => {
    const lock = path.join(dir, 'x.lock');
    await withFileLock(lock, async () => {
      const old = new Date(Date.now() - 3_600_000);
      await utimes(lock, old, old);
      // Wait for a heartbeat by polling, not by a fixed sleep.
      while ((await stat(lock)).mtimeMs < Date.now() - 1_800_000) await new Promise((r) => setTimeout(r, 5));
    }, { heartbeatMs: 10 });
  });
});
