// A second real pretrained backbone, from the npm registry: the InceptionV3 that the `nsfwjs`
// package (4.4.0, MIT, Infinite Red) ships, written out as a medprobe TF.js folder + model card.
//   node --import tsx scripts/nsfwjs-backbone.ts [--out DIR] [--tarball nsfwjs-4.4.0.tgz] [--check IMAGE...]
// Default DIR: <medprobe cache>/models/nsfwjs-4.4.0/inception_v3 ($MEDPROBE_CACHE or ~/.cache/medprobe);
// nothing is written into the repository. Without --tarball the tarball is downloaded from the npm
// registry; either way its sha512 must equal the registry's `dist.integrity`, pinned below.
//
// What the model is: GantMan's nsfw_model, a Keras InceptionV3 fine-tuned from ImageNet on ~60 GB of
// web images in five classes (drawing, hentai, neutral, porn, sexy), converted to TF.js with uint8
// weight quantization. Here it is a *non-medical* pretrained control, like the ImageNet MobileNetV2.
// The package ships the model as UMD bundles: model.min.js evaluates to the model.json object,
// group1-shardNofM.min.js to the base64 of one weight shard. The backbone is cut at `flatten_1`
// (the 2048-d global average of `mixed10`, i.e. the classifier head's input), with `mixed10` itself
// (8x8x2048) as the feature map; preprocessing is nsfwjs's own: RGB/255 in [0,1], 299 px, bilinear.
//
// --check IMAGE...: runs nsfwjs's own code (its dist/cjs, its JSON handler and preprocessing, on its
// own TF.js cpu backend) and medprobe (the written folder, medprobe's preprocessing, the wasm
// backend, the head applied to the `pooled` feature) on each image scaled to cover 299x299 and
// centre-cropped (so neither side resizes), and
// prints both sets of class probabilities and their largest difference (exit 1 above 1e-3).
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import type * as TF from '@tensorflow/tfjs';
import * as tar from 'tar';
import { fileSystemHandler, weightBytesOf } from '../src/models/tfjs/fs-handler.js';
import { download } from '../src/util/download.js';
import { MedprobeError } from '../src/util/errors.js';
import { defaultCacheDir } from '../src/util/paths.js';
import { hashFile } from '../src/util/hash.js';

export const NSFWJS_PACKAGE = {
  name: 'nsfwjs',
  version: '4.4.0',
  tarball: 'https://registry.npmjs.org/nsfwjs/-/nsfwjs-4.4.0.tgz',
  /** `npm view nsfwjs@4.4.0 dist.integrity` */
  integrity: 'sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA==',
} as const;

/** One model folder of the package and where medprobe cuts it. */
export interface NsfwjsModelSpec {
  /** Folder under `dist/models/`. */
  dir: string;
  /** medprobe model name. */
  name: string;
  size: number;
  /** Layer whose output is the pooled feature (the classifier's input). */
  pooled: string;
  /** Layer whose output is the spatial feature map. */
  featureMap: string;
  description: string;
}

export const INCEPTION_V3: NsfwjsModelSpec = {
  dir: 'inception_v3',
  name: 'nsfwjs-inception-v3',
  size: 299,
  pooled: 'flatten_1',
  featureMap: 'mixed10',
  description:
    "InceptionV3 (Keras, ImageNet-initialised) fine-tuned by GantMan's nsfw_model as a 5-class NSFW image classifier, from the nsfwjs 4.4.0 npm package (uint8-quantized weights). A non-medical pretrained control. `pooled` is flatten_1, the 2048-d global average of mixed10 that feeds the classifier head; `feature_map` is mixed10 (8x8x2048).",
};

/**
 * Evaluates one of the package's UMD bundles and returns its export. The bundles are pure
 * browserify wrappers around one literal; they run in a fresh context that has only `module` and
 * `exports` (no require, no process), after the tarball's integrity was checked.
 */
export function evalUmdBundle(source: string, file: string): unknown {
  const mod: { exports: unknown } = { exports: {} };
  try {
    vm.runInNewContext(source, { module: mod, exports: mod.exports }, { filename: file, timeout: 60_000 });
  } catch (e) {
    throw new MedprobeError(`${file} is not a loadable nsfwjs model bundle: ${String((e as Error).message).split('\n')[0].slice(0, 200)}`, {
      file,
      hint: 'the package is damaged or of another layout; use the nsfwjs 4.4.0 tarball',
    });
  }
  return mod.exports;
}

interface BundledModelJson {
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: TF.io.WeightsManifestEntry[] }[];
  format?: string;
}

export interface UnpackedModel {
  dir: string;
  card: string;
  weightBytes: number;
  weights: number;
  sha256: { 'model.json': string; 'weights.bin': string };
}

/**
 * `<pkg>/dist/models/<spec.dir>/*.min.js` → `outDir/{model.json, weights.bin, card.yaml,
 * LICENSE.nsfwjs, SOURCE.json}`. The folder is built beside `outDir` and renamed into place, so
 * `outDir` is either the previous complete folder or the new one.
 */
export async function unpackNsfwjsModel(pkgDir: string, outDir: string, spec: NsfwjsModelSpec, source: Record<string, unknown> = {}): Promise<UnpackedModel> {
  const modelDir = path.join(pkgDir, 'dist', 'models', spec.dir);
  const read = async (name: string): Promise<string> => {
    try {
      return await fs.readFile(path.join(modelDir, name), 'utf8');
    } catch {
      throw new MedprobeError(`nsfwjs package has no dist/models/${spec.dir}/${name}`, { file: path.join(modelDir, name), hint: 'use the nsfwjs 4.4.0 tarball (its dist/models folder holds the bundles)' });
    }
  };
  const jsonFile = path.join(modelDir, 'model.min.js');
  const json = evalUmdBundle(await read('model.min.js'), jsonFile) as BundledModelJson;
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest) || json.weightsManifest.length === 0) {
    throw new MedprobeError(`${jsonFile} does not evaluate to a TF.js model.json (no modelTopology / weightsManifest)`, { file: jsonFile, hint: 'use the nsfwjs 4.4.0 tarball' });
  }
  const shards: Buffer[] = [];
  for (const p of json.weightsManifest.flatMap((g) => g.paths)) {
    const file = path.join(modelDir, `${p}.min.js`);
    const b64 = evalUmdBundle(await read(`${p}.min.js`), file);
    if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw new MedprobeError(`${file} does not evaluate to a base64 weight shard`, { file, hint: 'use the nsfwjs 4.4.0 tarball' });
    }
    shards.push(Buffer.from(b64, 'base64'));
  }
  const weights = Buffer.concat(shards);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const need = weightBytesOf(specs, jsonFile);
  if (weights.length !== need) {
    throw new MedprobeError(`nsfwjs ${spec.dir}: the weight shards hold ${weights.length} bytes but its manifest needs ${need}`, { file: jsonFile, hint: 'the package is damaged; download it again' });
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: `${String(source.package ?? 'nsfwjs')} dist/models/${spec.dir}`,
    convertedBy: 'medprobe scripts/nsfwjs-backbone.ts (base64 UMD shards -> weights.bin, weights unchanged)',
    modelTopology: json.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  };
  const card = [
    `# Written by scripts/nsfwjs-backbone.ts from the npm package nsfwjs (MIT, Infinite Red; see LICENSE.nsfwjs and SOURCE.json).`,
    `# A non-medical pretrained control: an NSFW image classifier's backbone. Preprocessing is nsfwjs's (core.js): RGB/255, no mean/std.`,
    `name: ${spec.name}`,
    `file: model.json`,
    `format: tfjs-layers`,
    `input:`,
    `  name: ${JSON.stringify(firstInputName(json.modelTopology))}`,
    `  layout: NHWC`,
    `  size: ${spec.size}`,
    `  rescale: 0.00392156862745098   # 1/255: nsfwjs divides by 255 and feeds [0,1]`,
    `  mean: [0, 0, 0]`,
    `  std: [1, 1, 1]`,
    `  resample: bilinear`,
    `outputs:`,
    `  pooled: ${spec.pooled}`,
    `  feature_map: ${spec.featureMap}`,
    `pool:`,
    `  feature_map: none`,
    `license: MIT (nsfwjs, Copyright (c) 2019 Infinite Red, Inc.; model from GantMan/nsfw_model)`,
    `description: ${JSON.stringify(spec.description)}`,
    '',
  ].join('\n');
  const licence = await fs.readFile(path.join(pkgDir, 'LICENSE'), 'utf8').catch(() => {
    throw new MedprobeError(`nsfwjs package has no LICENSE file`, { file: pkgDir, hint: 'use the nsfwjs 4.4.0 tarball' });
  });

  const parent = path.dirname(path.resolve(outDir));
  await fs.mkdir(parent, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(parent, `.tmp-${path.basename(outDir)}-`));
  try {
    await fs.chmod(tmp, 0o755); // mkdtemp makes it private; the folder is an ordinary cache entry
    const jsonText = JSON.stringify(modelJson);
    await fs.writeFile(path.join(tmp, 'model.json'), jsonText);
    await fs.writeFile(path.join(tmp, 'weights.bin'), weights);
    await fs.writeFile(path.join(tmp, 'card.yaml'), card);
    await fs.writeFile(path.join(tmp, 'LICENSE.nsfwjs'), licence);
    const sha256 = {
      'model.json': createHash('sha256').update(jsonText).digest('hex'),
      'weights.bin': createHash('sha256').update(weights).digest('hex'),
    };
    await fs.writeFile(path.join(tmp, 'SOURCE.json'), JSON.stringify({ ...source, model: `dist/models/${spec.dir}`, sha256 }, null, 2) + '\n');
    await fs.rm(outDir, { recursive: true, force: true });
    await fs.rename(tmp, outDir);
    return { dir: outDir, card: path.join(outDir, 'card.yaml'), weightBytes: weights.length, weights: specs.length, sha256 };
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

function firstInputName(topology: Record<string, unknown>): string {
  const cfg = (topology.model_config as { config?: { input_layers?: [string, number, number][] } } | undefined)?.config;
  const name = cfg?.input_layers?.[0]?.[0];
  if (!name) throw new MedprobeError('nsfwjs model.json names no input layer', { hint: 'use the nsfwjs 4.4.0 tarball' });
  return name;
}

/** sha512 of a file as an npm `dist.integrity` string. */
export async function integrityOf(file: string): Promise<string> {
  const h = createHash('sha512');
  for await (const chunk of (await fs.open(file)).createReadStream()) h.update(chunk as Buffer);
  return `sha512-${h.digest('base64')}`;
}

/** The pinned tarball: a given file (checked) or the cached/downloaded one (checked while downloading). */
async function tarballFile(given: string | undefined): Promise<string> {
  if (given) {
    const got = await integrityOf(given).catch(() => {
      throw new MedprobeError(`cannot read ${given}`, { file: given, hint: 'pass the path of nsfwjs-4.4.0.tgz (npm pack nsfwjs@4.4.0)' });
    });
    if (got !== NSFWJS_PACKAGE.integrity) {
      throw new MedprobeError(`${given} is not nsfwjs ${NSFWJS_PACKAGE.version}: integrity ${got}, expected ${NSFWJS_PACKAGE.integrity}`, { file: given, hint: 'get it with `npm pack nsfwjs@4.4.0` or let the script download it' });
    }
    return given;
  }
  const dest = path.join(defaultCacheDir(), 'downloads', `nsfwjs-${NSFWJS_PACKAGE.version}.tgz`);
  if ((await integrityOf(dest).catch(() => '')) === NSFWJS_PACKAGE.integrity) return dest;
  await download(NSFWJS_PACKAGE.tarball, dest, { integrity: NSFWJS_PACKAGE.integrity, resume: true, timeoutMs: 120_000 });
  return dest;
}

/** Class probabilities from nsfwjs's own code and from medprobe on the same 299x299 crops. */
async function check(pkgDir: string, cardFile: string, images: string[]): Promise<number> {
  const sharp = (await import('sharp')).default;
  const { openBackbone } = await import('../src/models/open.js');
  const { createPreparer } = await import('../src/features/prepare.js');
  const { loadCard } = await import('../src/models/card.js');
  const tf = await import('@tensorflow/tfjs');
  // nsfwjs requires @tensorflow/tfjs: give its dist a node_modules that resolves to medprobe's.
  const link = path.join(pkgDir, 'node_modules', '@tensorflow');
  await fs.mkdir(path.dirname(link), { recursive: true });
  await fs.symlink(path.dirname(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs/package.json'))), link);
  const req = createRequire(path.join(pkgDir, 'dist', 'cjs', 'index.js'));
  const nsfwjs = req('./core.js') as { load: (m: string, o: unknown) => Promise<{ classify: (t: unknown, k: number) => Promise<{ className: string; probability: number }[]> }> };
  const { InceptionV3Model } = req('./models/inception_v3.js') as { InceptionV3Model: unknown };
  const { NSFW_CLASSES } = req('./nsfw_classes.js') as { NSFW_CLASSES: Record<number, string> };
  const theirTf = req('@tensorflow/tfjs') as typeof tf;
  const S = INCEPTION_V3.size;
  const crops: Uint8Array[] = [];
  for (const file of images) {
    const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').resize(S, S, { fit: 'cover', position: 'centre' }).raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new MedprobeError(`${file}: ${info.channels} channels after conversion to sRGB`, { file, hint: 'pass RGB or greyscale images' });
    crops.push(new Uint8Array(data));
  }
  // nsfwjs first, on TF.js's pure-JS cpu backend; medprobe then switches the process to wasm, so the
  // two sides share no loader, no preprocessing and no kernels.
  await theirTf.setBackend('cpu');
  const ref = await nsfwjs.load('InceptionV3', { modelDefinitions: [InceptionV3Model] });
  const theirs: Record<string, number>[] = [];
  for (const px of crops) {
    const top = await ref.classify(theirTf.tensor3d(px, [S, S, 3], 'int32'), 5);
    theirs.push(Object.fromEntries(top.map((c) => [c.className, c.probability])));
  }
  console.log(`nsfwjs: TF.js ${theirTf.version.tfjs} backend ${theirTf.getBackend()}`);

  const loaded = await loadCard(cardFile);
  const bb = await openBackbone({ card: cardFile });
  const full = await tf.loadLayersModel(fileSystemHandler(loaded.modelPath));
  const head = ['dense_1', 'dense_2', 'dense_3'].map((n) => full.getLayer(n));
  const prepare = createPreparer({ recipe: 'medmnist-default', input: loaded.card.input, axis: 'axial' });
  console.log(`medprobe: ${bb.runtime.name} ${bb.runtime.version}, features ${loaded.card.outputs.pooled} → head dense_1..dense_3`);
  let worst = 0;
  try {
    for (const [k, file] of images.entries()) {
      const x = prepare([{ kind: '2d', width: S, height: S, channels: 3, data: crops[k] }]);
      const pooled = (await bb.run(x.data, 1, ['pooled'])).pooled;
      const probs = tf.tidy(() => head.reduce((t, l) => l.apply(t) as TF.Tensor, tf.tensor2d(pooled.data, [1, pooled.cols]) as TF.Tensor).dataSync());
      const rows = Object.values(NSFW_CLASSES).map((name, i) => {
        worst = Math.max(worst, Math.abs(probs[i] - theirs[k][name]));
        return `${name} ${theirs[k][name].toFixed(6)}/${probs[i].toFixed(6)}`;
      });
      console.log(`${path.basename(file)} (pooled ${pooled.cols}-d) nsfwjs/medprobe: ${rows.join('  ')}`);
    }
  } finally {
    await bb.dispose();
    full.dispose();
  }
  console.log(`largest |nsfwjs - medprobe| class probability difference: ${worst.toExponential(2)}`);
  return worst;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const take = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const v = args[i + 1];
    if (!v || v.startsWith('--')) throw new MedprobeError(`${flag} needs a value`, { hint: 'usage: scripts/nsfwjs-backbone.ts [--out DIR] [--tarball FILE] [--check IMAGE...]' });
    args.splice(i, 2);
    return v;
  };
  const out = path.resolve(take('--out') ?? path.join(defaultCacheDir(), 'models', `nsfwjs-${NSFWJS_PACKAGE.version}`, INCEPTION_V3.dir));
  const given = take('--tarball');
  const ci = args.indexOf('--check');
  const images = ci >= 0 ? args.splice(ci).slice(1) : [];
  if (args.length) throw new MedprobeError(`unknown argument ${args[0]}`, { hint: 'usage: scripts/nsfwjs-backbone.ts [--out DIR] [--tarball FILE] [--check IMAGE...]' });
  if (ci >= 0 && images.length === 0) throw new MedprobeError('--check needs image files', { hint: 'e.g. --check ../shared/data/drive/test/images/01_test.tif' });

  const tgz = await tarballFile(given && path.resolve(given));
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-nsfwjs-'));
  try {
    await tar.x({ file: tgz, cwd: work, filter: (p) => p === 'package/LICENSE' || p.startsWith('package/dist/') });
    const pkgDir = path.join(work, 'package');
    const source = { package: `${NSFWJS_PACKAGE.name}@${NSFWJS_PACKAGE.version}`, tarball: NSFWJS_PACKAGE.tarball, integrity: NSFWJS_PACKAGE.integrity, license: 'MIT', copyright: 'Copyright (c) 2019 Infinite Red, Inc.', upstream: 'https://github.com/infinitered/nsfwjs (model: https://github.com/GantMan/nsfw_model)', version: NSFWJS_PACKAGE.version };
    const u = await unpackNsfwjsModel(pkgDir, out, INCEPTION_V3, source);
    console.log(`${u.dir}: model.json + weights.bin (${u.weights} tensors, ${u.weightBytes} bytes, uint8-quantized as shipped; sha256 ${u.sha256['weights.bin'].slice(0, 16)}…)`);
    console.log(`card: ${u.card}  (weights.bin sha256 ${u.sha256['weights.bin']}, model.json sha256 ${u.sha256['model.json']}, tarball ${await hashFile(tgz)})`);
    if (images.length) {
      const worst = await check(pkgDir, u.card, images);
      if (!(worst <= 1e-3)) process.exitCode = 1;
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(e instanceof MedprobeError ? e.oneLine() : e);
    process.exit(1);
  });
}
