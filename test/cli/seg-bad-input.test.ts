/**
 * The segmentation bad inputs of issue 12 through `medprobe run` on a suite: NaN voxels, a label
 * map on another grid, a class no training volume contains, and a U-Net the backbone's grid
 * cannot feed. Each exits 1 with one `medprobe: error:` line naming what is wrong, where, and
 * the fix; no stack trace, no result, nothing written into the data folders. The three data
 * errors stop the run before anything is extracted (a dry run does not read the volumes).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readTree } from '../run/plan-fixture.js';
import { pairsEntry, VOLUME_IDS, writeSegSuite, writeVit, writeVolumes } from '../run/seg-fixture.js';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(repo, 'bin/medprobe.js');
let dir: string;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-seg-bad-'));
  await writeVit(dir);
  // patch 4 on 32 px: an 8×8 grid; a U-Net on 4 maps doubles it three times to 64 > 32
  await writeVit(dir, { patchSize: 4 }, 'vit4');
  await writeVolumes(path.join(dir, 'nan'), VOLUME_IDS, { nanAt: 'vol_006' });
  await writeVolumes(path.join(dir, 'grid'), VOLUME_IDS, { offGridAt: 'vol_005' });
  await writeVolumes(path.join(dir, 'ok'), VOLUME_IDS);
  const one = { 'seg-linear': { lr: [1e-2], epochs: 1 } };
  await writeSegSuite(path.join(dir, 'nan.yaml'), [pairsEntry('nan')], one);
  await writeSegSuite(path.join(dir, 'grid.yaml'), [pairsEntry('grid')], one);
  await writeSegSuite(path.join(dir, 'absent.yaml'), [{ ...pairsEntry('ok'), classes: ['background', 'organ', 'tumour'] }], one);
  await writeSegSuite(path.join(dir, 'unet.yaml'), [pairsEntry('ok')], { 'seg-unet': { lr: [1e-2], epochs: 1, widths: [8, 8, 8, 8] } }, 'vit4.json');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const data = () => readTree(dir, (r) => /^(nan|grid|ok)\//.test(r));
const entries = async () => [...(await readTree(path.join(dir, 'cache', 'features'), (r) => r.endsWith('manifest.json'))).keys()];

test('seg bad input through `medprobe run`: one line with what, which file and the fix; exit 1; no result; data folders untouched', async () => {
  const untouched = await data();
  const cases: { suite: string; line: RegExp; extracts: boolean }[] = [
    // vol_006 is a test volume: found before the training split is embedded
    { suite: 'nan', line: /^medprobe: error: \S*nan\/imagesTr\/vol_006\.nii\.gz: 1 of \d+ voxels are NaN or ±Inf — fix the volume/, extracts: false },
    { suite: 'grid', line: /^medprobe: error: label map \S*grid\/labelsTr\/vol_005\.nii\.gz \(.*\) is not on the grid of \S*grid\/imagesTr\/vol_005\.nii\.gz .* — resample the label map onto the image grid/, extracts: false },
    { suite: 'absent', line: /^medprobe: error: vols\/train: class 'tumour' occurs in no training volume — .*drop it from `classes`/, extracts: false },
    { suite: 'unet', line: /^medprobe: error: a U-Net on 4 maps \(block:-1, .*\) starting from a 8×8 grid reaches 64×64, beyond the 32×32 output — use fewer maps .*or the seg-linear decoder/, extracts: true },
  ];
  for (const c of cases) {
    await fs.rm(path.join(dir, 'cache'), { recursive: true, force: true });
    const r = spawnSync(process.execPath, [bin, 'run', `${c.suite}.yaml`], { cwd: dir, encoding: 'utf8', env: { ...process.env, MEDPROBE_QUIET: '1' } });
    assert.equal(r.status, 1, `${c.suite}: ${r.stderr}`);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('medprobe: error:'));
    assert.equal(errors.length, 1, `${c.suite}: ${r.stderr}`);
    assert.match(errors[0], c.line);
    assert.ok(!r.stderr.includes('    at '), `${c.suite}: no stack trace`);
    assert.equal((await entries()).length > 0, c.extracts, `${c.suite}: ${c.extracts ? 'fails after' : 'fails before'} extraction`);
    const results = await readTree(path.join(dir, 'results'), (f) => f.endsWith('.json'));
    assert.deepEqual([...results.keys()], [], `${c.suite}: no result written`);
  }
  // A dry run reads only what planning needs: it lists the work and leaves the volumes to the run.
  const dry = spawnSync(process.execPath, [bin, 'run', 'nan.yaml', '--dry-run'], { cwd: dir, encoding: 'utf8', env: { ...process.env, MEDPROBE_QUIET: '1' } });
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /extraction: 3 shard unit\(s\), 0 cached, 3 to compute/);

  const now = await data();
  assert.deepEqual([...now.keys()], [...untouched.keys()], 'nothing written into the data folders');
  for (const [k, v] of now) assert.ok(v.equals(untouched.get(k)!), `${k} changed`);
});
