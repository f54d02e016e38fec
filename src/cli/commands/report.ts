import type { Command } from 'commander';
import { MedprobeError } from '../../util/errors.js';
import { metricOption, outOption, positiveInt, repeatable } from '../flags.js';
import type { MetricName } from '../../metrics/names.js';
import { withComputeFlags } from '../compute-flags.js';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new MedprobeError(`--port must be 0–65535, got '${v}'`, { hint: 'e.g. --port 8080, or --port 0 for any free port' });
  return n;
}

const actions = () => import('../actions/report.js');

export function registerReport(program: Command): void {
  const report = program
    .command('report [results]')
    .description('build the static leaderboard site (works from file://, offline) from a results folder');
  outOption(report, 'output folder', 'site').option('--title <text>', 'site title');
  metricOption(report, 'classification');
  metricOption(report, 'segmentation')
    .option('--pca <dir>', 'a folder written by `medprobe viz pca`, shown on its model\'s page (repeatable)', repeatable, [] as string[])
    .action(async (dir: string | undefined, o: { out: string; title?: string; metric?: MetricName; segmentationMetric?: MetricName; pca: string[] }) => (await actions()).reportCommand(dir, o));
  const pca = program
    .command('viz')
    .description('figures outside the site')
    .command('pca')
    .description('PCA patch maps (DINOv2-style): first 3 components of patch tokens as RGB, background thresholded on the first')
    .requiredOption('--model <path>', 'model card or hub folder')
    .requiredOption('--data <npz>', 'a MedMNIST npz')
    .option('--split <name>', 'train, val or test', 'test')
    .option('--count <n>', 'images', positiveInt('--count', 4), 4)
    .option('--map <name>', 'graph output or block (block:-1) to decompose')
    .option('--threshold <t>', 'background threshold on the first component, 0–1 (none: keep all)', (v: string) => (v === 'none' ? null : Number(v)));
  withComputeFlags(pca);
  outOption(pca, 'output folder', 'pca').action(
    async (o: { model: string; data: string; split: 'train' | 'val' | 'test'; count: number; map?: string; threshold?: number | null; out: string }) => (await actions()).vizPcaCommand(o),
  );
  program
    .command('serve [site]')
    .description('preview a built site on http://127.0.0.1 (localhost only)')
    .option('--port <n>', 'port (0 = any free one)', parsePort, 8080)
    .action(async (dir: string | undefined, o: { port: number }) => (await actions()).serveCommand(dir, o));
}
