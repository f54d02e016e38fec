/**
 * `data pull` for registry datasets: an MSD task archive (as the MONAI mirror serves it: a .tar
 * holding `Task04_Hippocampus/` with macOS `._*` files) from a local HTTP server, MD5-verified,
 * unpacked into place only when complete, checked by the doctor; datasets without a public
 * archive print the manual download steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { c as tarCreate } from 'tar';
import { registryEntry } from '../../src/data/registry/index.js';
import { manualDownloadSteps, pullRegistryDataset } from '../../src/data/registry/pull.js';
import { medprobeError, withTempDir } from '../helpers/assertions.js';
import { startFixtureServer } from '../helpers/http-server.js';
import { writeDecathlonFixture } from './study-fixtures.js';

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

test('pull msd-hippocampus: download, MD5, unpack without ._ files, doctor with content; a second pull reuses it; a bad MD5 leaves nothing behind', async () => {
  await withTempDir('msd-pull', async (dir) => {
    await writeDecathlonFixture(path.join(dir, 'src'), { task: 'Task04_Hippocampus', prefix: 'hippocampus', modality: 'MRI', labels: ['background', 'Anterior', 'Posterior'], train: 5 });
    const tarFile = path.join(dir, 'Task04_Hippocampus.tar');
    await tarCreate({ file: tarFile, cwd: path.join(dir, 'src') }, ['Task04_Hippocampus']);
    const bytes = new Uint8Array(await fs.readFile(tarFile));
    const srv = await startFixtureServer({ '/Task04_Hippocampus.tar': bytes });
    try {
      const out = path.join(dir, 'data');
      await assert.rejects(pullRegistryDataset('msd-hippocampus', { dir: out, baseUrl: srv.origin, md5: '0'.repeat(32) }), medprobeError(/MD5|md5/));
      assert.equal(existsSync(path.join(out, 'Task04_Hippocampus')), false, 'nothing in place after a failed pull');
      const r = await pullRegistryDataset('msd-hippocampus', { dir: out, baseUrl: srv.origin, md5: md5(bytes), onProgress: () => {} });
      assert.equal(r.downloaded, true);
      assert.equal(r.folder, path.join(out, 'Task04_Hippocampus'));
      assert.equal(r.doctor.ok, true, r.doctor.problems.join('; '));
      assert.equal(r.doctor.content!.used, 5);
      assert.deepEqual((await fs.readdir(path.join(r.folder, 'imagesTr'))).sort(), ['hippocampus_001.nii.gz', 'hippocampus_002.nii.gz', 'hippocampus_003.nii.gz', 'hippocampus_004.nii.gz', 'hippocampus_005.nii.gz']);
      assert.deepEqual((await fs.readdir(out)).sort(), ['Task04_Hippocampus'], 'no archive, part file or staging folder left');
      const again = await pullRegistryDataset('msd-hippocampus', { dir: out, baseUrl: srv.origin, md5: md5(bytes) });
      assert.equal(again.downloaded, false);
      assert.equal(srv.hits('/Task04_Hippocampus.tar').length, 2, 'the second pull does not download');
    } finally {
      await srv.close();
    }
  });
});

test('datasets without a public archive: the manual steps name the download page, the layout and the doctor command', async () => {
  const steps = manualDownloadSteps(registryEntry('chexpert')).join('\n');
  assert.match(steps, /stanfordmlgroup\.github\.io/);
  assert.match(steps, /train\.csv/);
  assert.match(steps, /medprobe data doctor chexpert <folder>/);
  await assert.rejects(pullRegistryDataset('chexpert', { dir: '.' }), medprobeError(/chexpert has no public archive/));
});
