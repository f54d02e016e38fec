import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MedprobeError } from '../util/errors.js';
import { parseCard, type LoadedCard, type ModelCard } from './card.js';
import { readGraphIO } from './onnx/graph-io.js';

/**
 * A local Hugging Face / transformers.js model folder (config.json, preprocessor_config.json,
 * onnx/model*.onnx — e.g. a clone of onnx-community/dinov2-small) turned into a model card,
 * so such folders work without writing a card by hand.
 */
export type HubVariant = 'model' | 'model_quantized' | 'model_fp16' | 'model_int8' | 'model_uint8' | 'model_q4' | 'model_q4f16' | 'model_bnb4' | (string & {});

/** PIL resample codes as stored in preprocessor_config.json. */
const PIL_RESAMPLE: Record<number, ModelCard['input']['resample']> = { 0: 'nearest', 2: 'bilinear', 3: 'bicubic' };

/** Model types whose encoder has no CLS token (mean of patches is their default feature). */
const NO_CLS_MODEL_TYPES = new Set(['sam', 'sam_vision_model', 'sam2', 'swin', 'convnext', 'convnextv2', 'resnet']);

interface HubConfig {
  model_type?: string;
  hidden_size?: number;
  patch_size?: number;
  num_register_tokens?: number;
  image_size?: number;
  _name_or_path?: string;
}

interface HubPreprocessor {
  image_mean?: number[];
  image_std?: number[];
  size?: number | { shortest_edge?: number; height?: number; width?: number };
  crop_size?: number | { height?: number; width?: number };
  do_center_crop?: boolean;
  do_resize?: boolean;
  do_rescale?: boolean;
  do_normalize?: boolean;
  resample?: number;
  rescale_factor?: number;
}

/**
 * Reads the folder's configs and picks `onnx/<variant>.onnx` (transformers.js layout) or, without
 * it, `<variant>.onnx` at the folder root (what `optimum-cli export onnx` writes); returns the card
 * as if loaded from `<dir>/config.json`.
 */
export async function cardFromHubFolder(dir: string, opts: { variant?: HubVariant } = {}): Promise<LoadedCard> {
  const folder = path.resolve(dir);
  const config = await readJson<HubConfig>(folder, 'config.json', 'a transformers model folder has config.json (model_type, hidden_size, patch_size)');
  const pre = await readJson<HubPreprocessor>(
    folder,
    'preprocessor_config.json',
    'download it with the model (it holds image_mean/std, resize and crop sizes); without it the preprocessing is unknown',
  );
  const variant = opts.variant ?? 'model';
  const modelPath = await hubModelFile(folder, variant);
  const io = await readGraphIO(modelPath);

  const { size, resizeShortestEdge, cropSize } = inputGeometry(pre, path.join(folder, 'preprocessor_config.json'));
  const patchSize = config.patch_size;
  const hasTokens = io.outputs.includes('last_hidden_state');
  const hasCls = !NO_CLS_MODEL_TYPES.has(config.model_type ?? '');
  const outputs: Record<string, string> = {};
  if (io.outputs.includes('pooler_output')) outputs.pooled = 'pooler_output';
  for (const o of io.outputs) if (o !== 'pooler_output' && !(hasTokens && patchSize && o === 'last_hidden_state')) outputs[o] = o;
  if (Object.keys(outputs).length === 0) outputs.tokens = 'last_hidden_state';
  const vit = hasTokens && patchSize ? { patchSize, numRegisterTokens: config.num_register_tokens ?? 0, hasClsToken: hasCls, tokensOutput: 'last_hidden_state' } : undefined;
  const doNorm = pre.do_normalize ?? true;
  const raw = {
    name: path.basename(folder) + (variant === 'model' ? '' : `-${variant}`),
    file: path.relative(folder, modelPath),
    format: 'onnx',
    input: {
      name: io.inputs.includes('pixel_values') ? 'pixel_values' : io.inputs[0],
      layout: 'NCHW',
      size,
      channels: 3,
      rescale: pre.do_rescale === false ? 1 : (pre.rescale_factor ?? 1 / 255),
      mean: doNorm ? (pre.image_mean ?? [0.5, 0.5, 0.5]) : [0, 0, 0],
      std: doNorm ? (pre.image_std ?? [0.5, 0.5, 0.5]) : [1, 1, 1],
      resample: PIL_RESAMPLE[pre.resample ?? 2] ?? 'bilinear',
      ...(resizeShortestEdge !== undefined ? { resizeShortestEdge, cropSize } : {}),
    },
    outputs,
    // pooler_output of DINOv2/ViT exports is the layer-normed CLS token, the same vector as the 'cls' view.
    defaultFeature: vit && hasCls ? 'cls' : vit ? 'mean-patch' : undefined,
    ...(vit ? { vit } : {}),
    description: `from hub folder ${folder} (model_type ${config.model_type ?? '?'}, hidden_size ${config.hidden_size ?? '?'}${config.image_size ? `, config image_size ${config.image_size}` : ''})`,
  };
  const cardPath = path.join(folder, 'config.json');
  return { card: parseCard(raw, cardPath), cardPath, modelPath };
}

/** Native input size and HF resize/crop: shortest-edge resize + center crop, or a plain resize. */
function inputGeometry(pre: HubPreprocessor, file: string): { size: number; resizeShortestEdge?: number; cropSize?: number } {
  const side = (v: HubPreprocessor['crop_size']): number | undefined => {
    if (typeof v === 'number') return v;
    if (v && v.height !== undefined) {
      if (v.width !== undefined && v.width !== v.height) {
        throw new MedprobeError(`${file} asks for a non-square ${v.height}x${v.width} input; medprobe feeds square images`, { file, hint: 'set a square size/crop_size' });
      }
      return v.height;
    }
    return undefined;
  };
  const crop = pre.do_center_crop ? side(pre.crop_size) : undefined;
  const shortest = typeof pre.size === 'object' ? pre.size.shortest_edge : undefined;
  if (shortest !== undefined) {
    const cropSize = crop ?? shortest;
    return { size: cropSize, resizeShortestEdge: shortest, cropSize };
  }
  const resized = typeof pre.size === 'number' ? pre.size : side(pre.size as HubPreprocessor['crop_size']);
  const size = crop ?? resized;
  if (!size) throw new MedprobeError(`${file} gives no input size (size / crop_size)`, { file, hint: 'add "size": {"height": 224, "width": 224} or write a model card' });
  return crop !== undefined && resized !== undefined && resized !== crop ? { size: crop, resizeShortestEdge: resized, cropSize: crop } : { size };
}

async function readJson<T>(folder: string, name: string, why: string): Promise<T> {
  const file = path.join(folder, name);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new MedprobeError(`hub folder ${folder} has no ${name}`, { file, hint: why });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new MedprobeError(`${file} is not valid JSON: ${(e as Error).message.split('\n')[0]}`, { file, hint: 're-download the file' });
  }
}

async function hubModelFile(folder: string, variant: string): Promise<string> {
  const candidates = [path.join(folder, 'onnx', `${variant}.onnx`), path.join(folder, `${variant}.onnx`)];
  for (const file of candidates) {
    try {
      await fs.access(file);
      return file;
    } catch {
      // try the next layout
    }
  }
  const onnxIn = async (sub: string): Promise<string[]> =>
    (await fs.readdir(path.join(folder, sub)).catch(() => [] as string[])).filter((f) => f.endsWith('.onnx')).map((f) => path.join(sub, f).replace(/\.onnx$/, ''));
  const present = [...(await onnxIn('onnx')), ...(await onnxIn('.'))];
  throw new MedprobeError(`hub folder ${folder} has neither onnx/${variant}.onnx nor ${variant}.onnx`, {
    file: candidates[0],
    hint: present.length ? `ONNX files present: ${present.join(', ')}` : 'download the onnx/ subfolder (transformers.js layout) or export with optimum-cli export onnx',
  });
}
