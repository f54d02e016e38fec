import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MedprobeError } from '../../util/errors.js';
import { hashBytes, hashFile } from '../../util/hash.js';
import { forEachField } from './graph-io.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { decodeModel, encodeModel, type ModelProto } from './proto.js';

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
 * The edited twin `name` of `modelPath` in `dir` (fp16, int8): found again by its path alone, so a
 * cached twin costs no read or decode of the source model (GBs for the study's large ViTs); made
 * once by `edit`, which changes the decoded model in place and returns any external-data rewrites.
 */
export async function editedTwin(modelPath: string, dir: string, name: string, edit: (model: ModelProto) => ExternalRewrites | void): Promise<string> {
  for (const file of [path.join(dir, `${name}.onnx`), path.join(dir, name, 'model.onnx')]) {
    if (await fs.access(file).then(() => true, () => false)) return file;
  }
  const model = decodeModel(await fs.readFile(modelPath));
  const file = editedModelPath(dir, name, model);
  await writeEditedModel(modelPath, model, file, edit(model) ?? undefined);
  return file;
}

/**
 * Initializer name → new bytes from its old ones, for external initializers an edit converts (fp16
 * halves float32 weights): their data cannot be linked and must be rewritten.
 */
export type ExternalRewrites = Map<string, (bytes: Uint8Array) => Uint8Array>;

/** The data file rewritten initializers go to, beside the edited model (never a name the source uses). */
const REWRITTEN_DATA = 'model.onnx.medprobe-data';

/**
 * Writes an edited copy of `sourcePath`'s model to `target` (from `editedModelPath`). External
 * weight files are hard-linked beside it under their relative names, or copied where the cache
 * is on another file system; initializers in `rewrites` are read one at a time, converted and
 * written to one new data file beside it (4 KiB-aligned, like onnx's writer), so a 4 GB model is
 * never held in memory. The .onnx is written last, so a present target is a complete one.
 */
export async function writeEditedModel(sourcePath: string, model: ModelProto, target: string, rewrites: ExternalRewrites = new Map()): Promise<void> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  if (rewrites.size) await rewriteExternal(sourcePath, model, path.join(dir, REWRITTEN_DATA), rewrites);
  for (const loc of externalDataLocations(model)) {
    if (loc === REWRITTEN_DATA) continue;
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

async function rewriteExternal(sourcePath: string, model: ModelProto, dataFile: string, rewrites: ExternalRewrites): Promise<void> {
  const tmp = `${dataFile}.tmp-${process.pid}`;
  const out = await fs.open(tmp, 'w');
  const sources = new Map<string, fs.FileHandle>();
  try {
    let offset = 0;
    for (const t of model.graph?.initializer ?? []) {
      const convert = rewrites.get(t.name ?? '');
      const entries = t.externalData ?? [];
      const get = (key: string): string | undefined => entries.find((e) => e.key === key)?.value ?? undefined;
      const loc = get('location');
      if (!convert || !loc) continue;
      const file = checkLocation(sourcePath, loc);
      let src = sources.get(file);
      if (!src) {
        try {
          src = await fs.open(file, 'r');
        } catch {
          throw new MedprobeError(`external data file ${file} of ${sourcePath} is missing`, { file, hint: `keep '${loc}' beside the .onnx file, as the export wrote it` });
        }
        sources.set(file, src);
      }
      const start = Number(get('offset') ?? 0);
      const length = get('length') !== undefined ? Number(get('length')) : (await src.stat()).size - start;
      const bytes = new Uint8Array(length);
      const { bytesRead } = await src.read(bytes, 0, length, start);
      if (bytesRead !== length) throw new MedprobeError(`external data file ${file} of ${sourcePath} ends before initializer ${t.name}`, { file, hint: 'the weights file is truncated; re-download or re-export the model' });
      const converted = convert(bytes);
      offset += (4096 - (offset % 4096)) % 4096;
      await out.write(converted, 0, converted.length, offset);
      t.externalData = [
        { key: 'location', value: REWRITTEN_DATA },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(converted.length) },
      ];
      offset += converted.length;
    }
  } finally {
    await out.close();
    for (const h of sources.values()) await h.close();
  }
  await fs.rename(tmp, dataFile);
}
