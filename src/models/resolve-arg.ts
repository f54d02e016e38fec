import { promises as fs, existsSync } from 'node:fs';
import path from 'node:path';
import { MedprobeError } from '../util/errors.js';
import { defaultCacheDir } from '../util/paths.js';
import { findCatalogCard, localModelSource, listCatalog } from './catalog/index.js';
import { HUB_MANIFEST, hubModelDir, pullHubModel } from './hub-pull.js';

/** A model a suite can run: a card file or a hub-layout folder (absolute paths). */
export type ModelSource = { card: string } | { hub: string };

export interface ResolveModelOptions {
  cacheDir?: string;
  /** Download a hub model that is not cached yet (quickstart); otherwise say how to pull it. */
  pull?: boolean;
  hubEndpoint?: string;
  /** The flag the argument came from, for error lines. */
  flag?: string;
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/**
 * What a user passed as `--model`: a card file or hub folder on disk, a catalog id
 * (`mobilenetv2-035-imagenet`, `dinov2-vits14`, or a hub name such as `dinov2-small`), or a hub
 * repo id (`onnx-community/dinov2-small`). A path on disk wins over a catalog name.
 */
export async function resolveModelArg(arg: string, opts: ResolveModelOptions = {}): Promise<ModelSource> {
  const flag = opts.flag ?? '--model';
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const abs = path.resolve(arg);
  const st = await fs.stat(abs).catch(() => null);
  if (st?.isDirectory()) return { hub: abs };
  if (st?.isFile()) {
    if (/\.onnx$/i.test(abs)) {
      throw new MedprobeError(`${flag} ${arg} is a bare ONNX file; a suite needs its card (input name, size, mean/std, feature output)`, {
        file: abs,
        hint: 'pass a card YAML (see examples/models/) or a hub folder with config.json and preprocessor_config.json',
      });
    }
    return { card: abs };
  }
  const card = findCatalogCard(arg);
  if (card) {
    const local = localModelSource(card, { cacheDir });
    if (local) return local;
    const onnxHub = card.onnxHubIds?.[0];
    if (onnxHub && opts.pull) return { hub: await pullHubModel(onnxHub, { cacheDir, endpoint: opts.hubEndpoint }) };
    throw new MedprobeError(`${flag} ${arg}: catalog model ${card.id} is not on this machine`, {
      hint: onnxHub ? `download it with: medprobe models pull ${onnxHub}` : `export it to ONNX (medprobe models show ${card.id} gives the recipe) and pass its card`,
    });
  }
  if (HUB_ID.test(arg)) {
    const dir = hubModelDir(arg, { cacheDir });
    if (existsSync(path.join(dir, HUB_MANIFEST))) return { hub: dir };
    if (opts.pull) return { hub: await pullHubModel(arg, { cacheDir, endpoint: opts.hubEndpoint }) };
    throw new MedprobeError(`${flag} ${arg}: hub model not downloaded`, { hint: `download it with: medprobe models pull ${arg}` });
  }
  throw new MedprobeError(`${flag} ${arg} not found: no such file, folder or catalog model`, {
    file: abs,
    hint: `pass a model card (YAML/JSON), a hub-layout folder, a hub id (owner/name) or a catalog id (${listCatalog().slice(0, 3).map((c) => c.id).join(', ')}, …: medprobe models list)`,
  });
}
