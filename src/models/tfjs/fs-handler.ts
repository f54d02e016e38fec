import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { writeFileAtomic, writeJsonAtomic } from '../../util/atomic.js';
import { MedprobeError } from '../../util/errors.js';

/** Bytes per element of the dtypes a TF.js weight manifest may hold. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
/** Bytes per stored element of quantized weights (`tensorflowjs_converter --quantize_*`); tfjs dequantizes them on load. */
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
  trainingConfig?: unknown;
}

/** Bytes the weight shards of a manifest must hold together; a dtype medprobe cannot load is an error naming `file`. */
export function weightBytesOf(specs: readonly tf.io.WeightsManifestEntry[], file: string): number {
  return specs.reduce((s, w) => {
    const per = w.quantization ? QUANTIZED_BYTES[w.quantization.dtype] : DTYPE_BYTES[w.dtype];
    if (per === undefined) {
      const what = w.quantization ? `is quantized as ${w.quantization.dtype}` : `has dtype ${w.dtype}`;
      throw new MedprobeError(`TF.js weight ${w.name} in ${file} ${what}, which medprobe does not load`, {
        file,
        hint: 're-export the model with float32 weights (or uint8/uint16/float16 quantization)',
      });
    }
    return s + per * w.shape.reduce((a, b) => a * b, 1);
  }, 0);
}

/** A model folder (or its model.json) → the model.json path. */
export async function resolveModelJson(target: string): Promise<string> {
  let st;
  try {
    st = await fs.stat(target);
  } catch {
    throw new MedprobeError(`TF.js model not found: ${target}`, { file: target, hint: 'point the card at a folder holding model.json + weight files (or at the model.json itself)' });
  }
  const file = st.isDirectory() ? path.join(target, 'model.json') : target;
  try {
    await fs.access(file);
  } catch {
    throw new MedprobeError(`TF.js model folder ${target} has no model.json`, { file: target, hint: 'export the model with tf.LayersModel.save / tensorflowjs_converter into this folder' });
  }
  return file;
}

/** The weight shard files a model.json names, resolved next to it, in manifest order. */
export function weightFilesOf(modelJsonPath: string, json: { weightsManifest?: { paths: string[] }[] }): string[] {
  const dir = path.dirname(modelJsonPath);
  return (json.weightsManifest ?? []).flatMap((g) => g.paths.map((p) => path.resolve(dir, p)));
}

export async function readModelJson(file: string): Promise<ModelJson> {
  let json: ModelJson;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8')) as ModelJson;
  } catch (e) {
    throw new MedprobeError(`${file} is not a readable TF.js model.json: ${(e as Error).message.split('\n')[0]}`, { file, hint: 're-export the model; the file may be truncated' });
  }
  if (!json || typeof json !== 'object' || !json.modelTopology) {
    throw new MedprobeError(`${file} has no modelTopology, so it is not a TF.js model.json`, { file, hint: 'point the card at the model.json written by the TF.js converter or LayersModel.save' });
  }
  return json;
}

/**
 * tfjs's own `file://` handler lives in tfjs-node, which cannot be installed here; this is the
 * same contract over node:fs. `load` reads model.json and concatenates its weight shards in
 * manifest order, checking that their total size matches the manifest so a missing or truncated
 * shard is a clear error instead of garbage weights. `save` writes model.json + one weights.bin.
 */
export function fileSystemHandler(target: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const file = await resolveModelJson(target);
      const json = await readModelJson(file);
      const specs = (json.weightsManifest ?? []).flatMap((g) => g.weights);
      const shards: Buffer[] = [];
      for (const shard of weightFilesOf(file, json)) {
        try {
          shards.push(await fs.readFile(shard));
        } catch {
          throw new MedprobeError(`TF.js weight file missing: ${shard} (named by ${file})`, {
            file: shard,
            hint: 'copy every weights*.bin shard listed in model.json next to it',
          });
        }
      }
      const bytes = Buffer.concat(shards);
      const expected = weightBytesOf(specs, file);
      if (bytes.length !== expected) {
        throw new MedprobeError(`TF.js weights of ${file} hold ${bytes.length} bytes but the manifest needs ${expected}`, {
          file,
          hint: 'a weight shard is truncated or from another export; re-copy the model folder',
        });
      }
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: specs,
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        signature: json.signature as tf.io.ModelArtifacts['signature'],
        userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
      };
    },
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const dir = target.endsWith('.json') ? path.dirname(target) : target;
      const data = artifacts.weightData;
      const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
      const weights = Buffer.concat(buffers.map((b) => Buffer.from(b)));
      await writeFileAtomic(path.join(dir, 'weights.bin'), weights);
      await writeJsonAtomic(target.endsWith('.json') ? target : path.join(dir, 'model.json'), {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
    },
  };
}
