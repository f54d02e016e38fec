/**
 * Progress where stderr is not a terminal (CI logs, nohup): plain lines at a steady pace with
 * images/s and ETA, quiet for work shorter than the interval, and a closing line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, formatDuration } from '../../src/util/progress.js';

function fakeStream() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => lines.push(...s.split('\n').filter(Boolean)) } };
}

test('non-TTY: one line per interval with count, percent, rate and ETA, then a closing line', () => {
  const { lines, stream } = fakeStream();
  let t = 0;
  const p = createProgress('m · d/train', 1000, 'img', { stream, intervalSeconds: 10, now: () => t, suffix: () => 'run ETA 5 min' });
  // 20 img/s: a tick of 20 every second.
  for (let s = 1; s <= 25; s++) {
    t = s * 1000;
    p.tick(20);
  }
  p.stop();
  assert.deepEqual(lines, [
    'm · d/train: 200/1000 img (20 %) · 20.0 img/s · ETA 40 s · run ETA 5 min',
    'm · d/train: 400/1000 img (40 %) · 20.0 img/s · ETA 30 s · run ETA 5 min',
    'm · d/train: 500/1000 img in 25 s · 20.0 img/s · run ETA 5 min',
  ]);
});

test('non-TTY: work shorter than the interval prints nothing', () => {
  const { lines, stream } = fakeStream();
  let t = 0;
  const p = createProgress('short', 10, 'img', { stream, intervalSeconds: 10, now: () => t });
  for (let i = 0; i < 10; i++) {
    t += 500;
    p.tick();
  }
  p.stop();
  assert.deepEqual(lines, []);
});

test('durations read as s, min, h', () => {
  assert.equal(formatDuration(42), '42 s');
  assert.equal(formatDuration(210), '3.5 min');
  assert.equal(formatDuration(7200), '2.0 h');
  assert.equal(formatDuration(Infinity), 'unknown');
});
