import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField } from '../../src/report/escape.js';

test('CSV text cells that a spreadsheet would run as a formula are neutralised; numbers are not', () => {
  assert.equal(csvField('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
  for (const p of ['+1', '-1+2', '@SUM(A1)', '\tx']) assert.equal(csvField(p), `'${p}`);
  assert.equal(csvField(-0.25), '-0.25');
  assert.equal(csvField('net v1'), 'net v1');
});
