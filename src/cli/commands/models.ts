import type { Command } from 'commander';
import { batchSizeOption, cacheDirOption, jsonOption, positiveInt } from '../flags.js';
import { withComputeFlags } from '../compute-flags.js';

const actions = () => import('../actions/models.js');

export function registerModels(program: Command): Command {
  const models = program.command('models').description('model catalog, downloads and throughput');
  jsonOption(cacheDirOption(models.command('list').description('catalog backbones: parameters, pretraining images, licence, openness, local availability'), 'cache root (default $MEDPROBE_CACHE or ~/.cache/medprobe)'), 'print JSON instead of a table')
    .action(async (o: { cacheDir?: string; json?: boolean }) => (await actions()).modelsList(o));
  jsonOption(cacheDirOption(models.command('show <id>').description('the full catalog card, with its openness assessment'), 'cache root (default $MEDPROBE_CACHE or ~/.cache/medprobe)'), 'print JSON instead of YAML')
    .action(async (id: string, o: { cacheDir?: string; json?: boolean }) => (await actions()).modelsShow(id, o));
  models
    .command('recipe <id>')
    .description("a catalog model's export script and the medprobe card for the file it writes; --out writes both into a folder")
    .option('--out <dir>', 'folder to write export-<id>.py|sh and <id>.yaml into (run the script there)')
    .action(async (id: string, o: { out?: string }) => (await actions()).modelsRecipe(id, o));
  cacheDirOption(models.command('pull <hf-id>').description('download a transformers.js-layout model (config, preprocessor config, onnx/model.onnx) from the Hugging Face hub, verified'), 'cache root (default $MEDPROBE_CACHE or ~/.cache/medprobe)')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--file <path...>', 'repo-relative files to fetch instead of the default three')
    .option('--endpoint <url>', 'a hub mirror')
    .action(async (id: string, o: { cacheDir?: string; revision: string; file?: string[]; endpoint?: string }) => (await actions()).modelsPull(id, o));
  const bench = models
    .command('bench <card-or-folder>')
    .description('measure images/s of a local backbone on synthetic input and store it in <cache>/throughput.json for ETAs');
  cacheDirOption(bench, 'cache root (default $MEDPROBE_CACHE or ~/.cache/medprobe)');
  batchSizeOption(bench, 'images per batch', 32);
  bench
    .option('--batches <n>', 'timed batches', positiveInt('--batches', 5), 5)
    .option('--warmup <n>', 'untimed batches first', positiveInt('--warmup', 1), 1)
    .option('--size <px>', 'input side (default the card\'s)', positiveInt('--size', 224));
  withComputeFlags(bench); // --threads: TF.js wasm stays single-threaded
  bench.action(async (target: string, o: { cacheDir?: string; batchSize: number; batches: number; warmup: number; threads?: number; size?: number }) => (await actions()).modelsBench(target, o));
  return models;
}
