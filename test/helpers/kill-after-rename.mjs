// Preloaded (`node --import`) into a CLI child by the resume tests: SIGKILLs the process right after
// its $MEDPROBE_TEST_KILL_AFTER_RENAME_COUNT-th (default 1st) rename onto a path matching the regex
// $MEDPROBE_TEST_KILL_AFTER_RENAME. Every durable write medprobe makes (cache entries, results,
// prediction files) ends in a rename, so a test kills the run at the exact state it names; polling
// the folder from outside could miss a short window on a loaded machine.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const pattern = new RegExp(process.env.MEDPROBE_TEST_KILL_AFTER_RENAME ?? '(?!)');
let left = Number(process.env.MEDPROBE_TEST_KILL_AFTER_RENAME_COUNT ?? 1);
const after = (to) => {
  if (pattern.test(String(to).split('\\').join('/')) && --left === 0) process.kill(process.pid, 'SIGKILL');
};
const rename = fs.promises.rename;
fs.promises.rename = async (from, to) => {
  await rename(from, to);
  after(to);
};
const renameSync = fs.renameSync;
fs.renameSync = (from, to) => {
  renameSync(from, to);
  after(to);
};
syncBuiltinESMExports();
