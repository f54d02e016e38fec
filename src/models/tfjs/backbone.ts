import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { MedprobeError } from '../../util/errors.js';
import { hashBytes, hashFile } from '../../util/hash.js';
import { matrix, type Matrix } from '../../util/matrix.js';
import type { GridBackbone, Tensor4 } from '../backbone.js';
import type { LoadedCard, ModelCard } from '../card.js';
import { closeMatches } from '../../util/close-matches.js';
import { fileSystemHandler, readModelJson, resolveModelJson, weightFilesOf } from './fs-handler.js';
import { featureModel, resolveLayer, type FeatureModel } from './feature-node.js';
import { TFJS_VERSION, tfjsBackend } from './runtime.js';

export interface TfjsBackboneOptions {
  /** Side length to run at; must equal the model's fixed input size when it has one. */
  inputSize?: number;
  /** Images per forward pass; bigger batches are split (bounds wasm heap use). Default 32. */
  maxBatch?: number;
}

/** Runs the cut model on an NHWC/NCHW tensor and returns one tensor per card output, in order. */
type Forward = (x: tf.Tensor4D) => Promise<tf.Tensor[]>;

/**
 * A frozen TF.js model (Keras layers or converted graph) run on the wasm backend. The card's
 * `outputs` map feature names to layer paths (layers models, nested with `/`) or graph node
 * names (graph models); a layers model is cut right after those layers, so a classifier head
 * never runs. 4-D maps become rows per the card's `pool` (default: global average).
 */
export class TfjsBackbone implements GridBackbone {
  readonly runtime: { name: string; version: string };
  readonly features: readonly string[];
  private disposed = false;

  private constructor(
    readonly card: ModelCard,
    readonly fingerprint: string,
    readonly inputSize: number,
    readonly modelPath: string,
    backend: string,
    private readonly forwardFn: Forward,
    private readonly release: () => void,
    private readonly maxBatch: number,
  ) {
    this.runtime = { name: `tfjs-${backend}`, version: TFJS_VERSION };
    this.features = Object.keys(card.outputs);
  }

  static async open(loaded: LoadedCard, opts: TfjsBackboneOptions = {}): Promise<TfjsBackbone> {
    const { card, modelPath, cardPath } = loaded;
    const jsonPath = await resolveModelJson(modelPath);
    const json = await readModelJson(jsonPath);
    const fingerprint = await fingerprintOf(jsonPath, weightFilesOf(jsonPath, json));
    const backend = await tfjsBackend();
    const handler = fileSystemHandler(jsonPath);
    const nodes = Object.values(card.outputs);
    let forward: Forward;
    let release: () => void;
    let inputShape: (number | null)[];
    if (card.format === 'tfjs-graph') {
      const gm = await loadWith(() => tf.loadGraphModel(handler), jsonPath);
      const graphNodes = graphNodeNames(json.modelTopology);
      for (const n of nodes) {
        const base = n.split(':')[0];
        if (!graphNodes.includes(base)) {
          gm.dispose();
          throw new MedprobeError(`feature node '${n}' is not a node of graph model ${jsonPath}`, {
            file: cardPath,
            hint: `close node names: ${closeMatches(base, graphNodes, 6).join(', ')}`,
          });
        }
      }
      const inputName = gm.inputs[0].name;
      inputShape = (gm.inputs[0].shape ?? [null, null, null, null]).map((d) => (d === -1 ? null : d));
      // execute() is synchronous and quiet; graphs with control flow or dynamic shapes refuse it
      // (pointing at executeAsync), and from then on this model uses executeAsync.
      let needsAsync = false;
      const distinct = [...new Set(nodes)];
      forward = async (x) => {
        let out: tf.Tensor | tf.Tensor[] | undefined;
        if (!needsAsync) {
          try {
            out = gm.execute({ [inputName]: x }, distinct);
          } catch (e) {
            if (!String((e as Error).message).includes('executeAsync')) throw e;
            needsAsync = true;
          }
        }
        out ??= await gm.executeAsync({ [inputName]: x }, distinct);
        const outs = Array.isArray(out) ? out : [out];
        const used = new Set<number>();
        return nodes.map((n) => {
          const k = distinct.indexOf(n);
          return used.has(k) ? outs[k].clone() : (used.add(k), outs[k]);
        });
      };
      release = () => gm.dispose();
    } else {
      const model = await loadWith(() => tf.loadLayersModel(handler), jsonPath);
      let cut: FeatureModel;
      try {
        cut = featureModel(model, nodes.map((n) => resolveLayer(model, n, jsonPath)), jsonPath);
      } catch (e) {
        model.dispose();
        throw e;
      }
      inputShape = model.inputs[0].shape;
      // One output per distinct layer; features naming the same layer share it (cloned, so each
      // returned tensor can be disposed on its own).
      forward = async (x) => {
        const raw = cut.model.predict(x);
        const outs = Array.isArray(raw) ? raw : [raw];
        const used = new Set<number>();
        return cut.outputIndex.map((k) => (used.has(k) ? outs[k].clone() : (used.add(k), outs[k])));
      };
      // The cut model shares the loaded model's weight variables; disposing the original frees them.
      release = () => model.dispose();
    }
    try {
      const inputSize = checkInput(card, inputShape, opts.inputSize, jsonPath);
      return new TfjsBackbone(card, fingerprint, inputSize, jsonPath, backend, forward, release, opts.maxBatch ?? 32);
    } catch (e) {
      release();
      throw e;
    }
  }

  async run(batch: Float32Array, n: number, features: readonly string[]): Promise<Record<string, Matrix>> {
    for (const f of features) this.checkFeature(f);
    const per = 3 * this.inputSize * this.inputSize;
    if (n === 0) return Object.fromEntries(features.map((f) => [f, matrix(0, 0)]));
    if (batch.length < n * per) throw new RangeError(`batch holds ${batch.length} values, ${n} images need ${n * per}`);
    const parts: Record<string, Matrix[]> = Object.fromEntries(features.map((f) => [f, []]));
    for (let start = 0; start < n; start += this.maxBatch) {
      const m = Math.min(this.maxBatch, n - start);
      const maps = await this.forward(batch.subarray(start * per, (start + m) * per), m);
      try {
        for (const f of features) {
          const t = maps[this.features.indexOf(f)];
          parts[f].push(await this.toRows(f, t, m));
        }
      } finally {
        tf.dispose(maps);
      }
    }
    return Object.fromEntries(features.map((f) => [f, stackRows(parts[f])]));
  }

  async runGrid(batch: Float32Array, n: number, maps: readonly string[]): Promise<Record<string, Tensor4>> {
    for (const f of maps) this.checkFeature(f);
    const per = 3 * this.inputSize * this.inputSize;
    const outs = await this.forward(batch.subarray(0, n * per), n);
    try {
      const result: Record<string, Tensor4> = {};
      for (const f of maps) {
        const t = outs[this.features.indexOf(f)];
        if (t.rank !== 4) {
          throw new MedprobeError(`model ${this.card.name}: feature '${f}' has shape [${t.shape.join(',')}], not a spatial map`, { hint: 'runGrid takes 4-D feature maps' });
        }
        const nchw = tf.tidy(() => (this.card.input.layout === 'NHWC' ? t.transpose([0, 3, 1, 2]) : t.clone()));
        result[f] = { data: (await nchw.data()) as Float32Array, dims: nchw.shape as [number, number, number, number] };
        nchw.dispose();
      }
      return result;
    } finally {
      tf.dispose(outs);
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.release();
  }

  private checkFeature(f: string): void {
    if (!this.features.includes(f)) throw new MedprobeError(`model ${this.card.name} has no feature '${f}'`, { hint: `available: ${this.features.join(', ')}` });
  }

  /** NCHW float32 in (the Backbone contract), transposed here for channels-last models. */
  private async forward(chunk: Float32Array, n: number): Promise<tf.Tensor[]> {
    if (this.disposed) throw new Error(`backbone ${this.card.name} is disposed`);
    const S = this.inputSize;
    const x = tf.tidy(() => {
      const nchw = tf.tensor4d(chunk, [n, 3, S, S]);
      return this.card.input.layout === 'NHWC' ? nchw.transpose<tf.Tensor4D>([0, 2, 3, 1]) : nchw;
    });
    try {
      return await this.forwardFn(x);
    } finally {
      x.dispose();
    }
  }

  private async toRows(feature: string, t: tf.Tensor, n: number): Promise<Matrix> {
    const pool = this.card.pool?.[feature] ?? 'avg';
    const channelsLast = this.card.input.layout === 'NHWC';
    const rows = tf.tidy(() => {
      if (t.rank === 2) return t.clone();
      if (t.rank === 4) {
        if (pool === 'avg') return t.mean(channelsLast ? [1, 2] : [2, 3]);
        // Channel-major flattening, so a map reads the same as from an NCHW ONNX export.
        return (channelsLast ? t.transpose([0, 3, 1, 2]) : t).reshape([n, -1]);
      }
      return t.reshape([n, -1]);
    });
    try {
      return matrix(n, rows.shape[1] as number, (await rows.data()) as Float32Array);
    } finally {
      rows.dispose();
    }
  }
}

function stackRows(ms: Matrix[]): Matrix {
  if (ms.length === 1) return ms[0];
  const cols = ms[0].cols;
  const data = new Float32Array(ms.reduce((s, m) => s + m.data.length, 0));
  let off = 0;
  for (const m of ms) {
    data.set(m.data, off);
    off += m.data.length;
  }
  return matrix(data.length / cols, cols, data);
}

/** sha256 over model.json and every weight shard, in manifest order. */
async function fingerprintOf(jsonPath: string, shards: string[]): Promise<string> {
  const parts = [await hashFile(jsonPath)];
  for (const s of shards) {
    try {
      await fs.access(s);
    } catch {
      throw new MedprobeError(`TF.js weight file missing: ${s} (named by ${jsonPath})`, { file: s, hint: 'copy every weights*.bin shard listed in model.json next to it' });
    }
    parts.push(await hashFile(s));
  }
  return hashBytes(parts.join('\n'));
}

async function loadWith<T>(load: () => Promise<T>, jsonPath: string): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (e instanceof MedprobeError) throw e;
    throw new MedprobeError(`cannot load TF.js model ${jsonPath}: ${String((e as Error).message).split('\n')[0].slice(0, 200)}`, {
      file: jsonPath,
      hint: "check the card's format (tfjs-layers vs tfjs-graph) and that the folder is a complete TF.js export",
    });
  }
}

function graphNodeNames(topology: unknown): string[] {
  const nodes = (topology as { node?: { name?: string }[] } | undefined)?.node ?? [];
  return nodes.map((n) => n.name ?? '').filter((s) => s.length > 0);
}

/** The side length to run at: the model's fixed H/W, or the card's (or caller's) size for dynamic inputs. */
function checkInput(card: ModelCard, shape: readonly (number | null)[], requested: number | undefined, file: string): number {
  const nhwc = card.input.layout === 'NHWC';
  if (shape.length !== 4) {
    throw new MedprobeError(`TF.js model ${file} takes a rank-${shape.length} input, not an image batch`, { file, hint: 'medprobe backbones take [N,H,W,3] (or [N,3,H,W]) images' });
  }
  const [h, w, c] = nhwc ? [shape[1], shape[2], shape[3]] : [shape[2], shape[3], shape[1]];
  if (c !== null && c !== 3) {
    throw new MedprobeError(`TF.js model ${file} expects ${c} channels in ${card.input.layout} layout, not 3`, { file, hint: 'check input.layout in the card (Keras models are NHWC)' });
  }
  const size = requested ?? card.input.size;
  for (const d of [h, w]) {
    if (d !== null && d !== size) {
      throw new MedprobeError(`TF.js model ${file} has a fixed ${h}x${w} input but ${size} px was asked for`, { file, hint: `set input.size: ${d} in the card or run at ${d} px` });
    }
  }
  return size;
}
