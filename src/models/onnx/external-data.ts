import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MedprobeError } from '../../util/errors.js';
import { hashBytes, hashFile } from '../../util/hash.js';
import { forEachField } from './graph-io.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { encodeModel, type ModelProto } from './proto.js';

/**
 * ONNX external data: models over protobuf's 2 GB limit (ViT-g, OpenCLIP ViT-H) keep their
 * weights in side files named by each initializer's `external_data.location`, relative to the
 * .onnx file. medprobe reads, fingerprints and edits such models without loading the weights:
 * an edited graph is written into its own cache folder with hard links to the original weight
 * files, so ORT resolves the same relative locations there and nothing is written beside the
 * user's model. (Symlinks do not work: ORT resolves them and refuses data outside the model's folder.)
 */

/** The external data files a model names, relative to its folder (empty for a single-file model). */
export function externalDataLocations(model: ModelProto): string[] {
  const out = new Set<string>();
  for (const t of model.graph?.initializer ?? []) {
    const loc = t.externalData?.find((e) => e.key === 'location')?.value;
    if (loc) out.add(loc);
  }
  return [...out];
}

/** The same, read from the file without decoding the weights (cheap for a 2 GB single-file model too). */
export async function externalDataLocationsOf(modelPath: string): Promise<string[]> {
  const bytes = await fs.readFile(modelPath);
  const out = new Set<string>();
  const text = new TextDecoder();
  // ModelProto.graph = 7; GraphProto.initializer = 5; TensorProto.external_data = 13; StringStringEntryProto key = 1, value = 2.
  try {
    walkInitializers(bytes, out, text);
  } catch {
    return []; // not a readable protobuf: opening it in ONNX Runtime reports the corrupt file in one line
  }
  return [...out];
}

function walkInitializers(bytes: Uint8Array, out: Set<string>, text: TextDecoder): void {
  forEachField(bytes, 0, bytes.length, (f, w, s, e) => {
    if (f !== 7 || w !== 2) return;
    forEachField(bytes, s, e, (gf, gw, gs, ge) => {
      if (gf !== 5 || gw !== 2) return;
      forEachField(bytes, gs, ge, (tf, tw, ts, te) => {
        if (tf !== 13 || tw !== 2) return;
        let key = '';
        let value = '';
        forEachField(bytes, ts, te, (kf, _kw, ks, ke) => {
          if (kf === 1) key = text.decode(bytes.subarray(ks, ke));
          else if (kf === 2) value = text.decode(bytes.subarray(ks, ke));
        });
        if (key === 'location' && value) out.add(value);
      });
    });
  });
}

function checkLocation(modelPath: string, loc: string): string {
  const file = path.resolve(path.dirname(modelPath), loc);
  if (path.isAbsolute(loc) || path.relative(path.dirname(modelPath), file).startsWith('..')) {
    throw new MedprobeError(`${modelPath} names external data '${loc}' outside its folder`, { file: modelPath, hint: 'external data files must sit beside the .onnx file (ONNX Runtime refuses other paths)' });
  }
  return file;
}

/**
 * sha256 of a model: of the .onnx file alone when it holds its weights (the fingerprint medprobe
 * always used), otherwise of the .onnx file's hash together with every external data file's hash,
 * so replacing the weights changes every cache key.
 */
export async function modelFingerprint(modelPath: string): Promise<string> {
  const own = await hashFile(modelPath);
  const locations = (await externalDataLocationsOf(modelPath)).sort();
  if (locations.length === 0) return own;
  const parts = [own];
  for (const loc of locations) {
    const file = checkLocation(modelPath, loc);
    try {
      parts.push(`${loc}:${await hashFile(file)}`);
    } catch {
      throw new MedprobeError(`external data file ${file} of ${modelPath} is missing`, { file, hint: `keep '${loc}' beside the .onnx file, as the export wrote it` });
    }
  }
  return hashBytes(parts.join('\n'));
}

/**
 * Where an edited copy of a model goes: `<dir>/<name>.onnx` for a single-file model (as before),
 * `<dir>/<name>/model.onnx` for one with external data, whose weight files must sit beside it.
 */
export function editedModelPath(dir: string, name: string, model: ModelProto): string {
  return externalDataLocations(model).length ? path.join(dir, name, 'model.onnx') : path.join(dir, `${name}.onnx`);
}

/**
 * Writes an edited copy of `sourcePath`'s model to `target` (from `editedModelPath`). External
 * weight files are hard-linked beside it under their relative names, or copied where the cache
 * is on another file system; the .onnx is written last, so a present target is a complete one.
 */
export async function writeEditedModel(sourcePath: string, model: ModelProto, target: string): Promise<void> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  for (const loc of externalDataLocations(model)) {
    const src = checkLocation(sourcePath, loc);
    const dest = path.join(dir, loc);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.rm(dest, { force: true });
    try {
      await fs.link(src, dest);
    } catch {
      const tmp = `${dest}.tmp-${process.pid}`;
      await fs.copyFile(src, tmp);
      await fs.rename(tmp, dest);
    }
  }
  await writeFileAtomic(target, encodeModel(model));
}
