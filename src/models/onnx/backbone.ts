import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { MedprobeError } from '../../util/errors.js';
import { defaultCacheDir } from '../../util/paths.js';
import { concatCols, matrix, type Matrix } from '../../util/matrix.js';
import type { GridBackbone, Tensor4 } from '../backbone.js';
import { vitActivationBytesPerImage, type MemoryProfile } from '../batch-memory.js';
import type { LoadedCard, ModelCard, TokenView } from '../card.js';
import { blockOutputName, isBlockRef, parseBlockRef } from './block-ref.js';
import { exposeLastBlocks } from './expose-blocks.js';
import { externalDataLocationsOf, modelFingerprint } from './external-data.js';
import { float16Model } from './fp16.js';
import { int8Model } from './int8.js';
import { checkImageInput, resolveInputSize } from './input-check.js';
import { computeFor, openSession, type Compute, type ComputeOptions } from './session.js';
import { defaultTokenView, globalAverage, nhwcToNchw, patchGrid, tokenLayout, tokenView } from './token-views.js';

const ORT_VERSION: string = createRequire(import.meta.url)('onnxruntime-node/package.json').version;

/** `device` and `threads` override the process's compute choice (`setDefaultCompute`) for this backbone. */
export interface OnnxBackboneOptions extends ComputeOptions {
  /** Side length to run at (default: the card's `input.size`). ViTs need a dynamic-H/W export for other sizes. */
  inputSize?: number;
  /** Where edited graphs (block outputs exposed) are cached; default `$MEDPROBE_CACHE` or `.medprobe/cache`. */
  cacheDir?: string;
}

/** A feature as the backbone resolves it: which graph output(s) and which view. */
interface FeatureSpec {
  /** Graph output name, or a `block:` ref. */
  output: string;
  /** Negative block indices when `output` is a block ref. */
  blocks?: number[];
  view?: TokenView;
}

/** How many last blocks the editor exposes at least, so the usual "last 4" grid needs one edit. */
const MIN_EXPOSED_BLOCKS = 4;


/**
 * A frozen ONNX model run by onnxruntime-node on the chosen device. One session is kept for the life of the
 * backbone and reused for every batch; graphs with a dynamic batch axis take the whole batch
 * in one run, fixed-batch graphs are fed in chunks of their batch size.
 */
export class OnnxBackbone implements GridBackbone {
  readonly runtime = { name: 'onnxruntime-node', version: ORT_VERSION };
  readonly features: readonly string[];
  private session: ort.InferenceSession;
  private exposedBlocks = 0;
  /** Serializes graph edits so concurrent runs never swap the session twice. */
  private blocksReady: Promise<void> = Promise.resolve();
  private disposed = false;
  private readonly specs: Map<string, FeatureSpec>;

  private constructor(
    readonly card: ModelCard,
    readonly fingerprint: string,
    readonly inputSize: number,
    readonly modelPath: string,
    readonly compute: Compute,
    /** Bytes of the weights the session holds (its .onnx file and external data). */
    private readonly weightBytes: number,
    session: ort.InferenceSession,
    private readonly fixedBatch: number | null,
    private readonly opts: OnnxBackboneOptions,
  ) {
    this.session = session;
    this.specs = resolveFeatures(card, session.outputNames, modelPath);
    this.features = [...this.specs.keys()];
  }

  static async open(loaded: LoadedCard, opts: OnnxBackboneOptions = {}): Promise<OnnxBackbone> {
    const { card, modelPath } = loaded;
    try {
      const st = await fs.stat(modelPath);
      if (!st.isFile()) throw new Error('not a file');
    } catch {
      throw new MedprobeError(`ONNX model not found: ${modelPath}`, {
        file: modelPath,
        hint: `the card ${loaded.cardPath} names file '${card.file}', resolved relative to the card's folder; fix the path or put the model there`,
      });
    }
    const fingerprint = await modelFingerprint(modelPath);
    const compute = await computeFor(opts);
    // fp16 / int8: the session runs the converted twin; the fingerprint stays the user's file's (the key adds `precision`).
    const cacheDir = opts.cacheDir ?? defaultCacheDir();
    const sessionFile =
      compute.precision === 'fp16' ? await float16Model(modelPath, fingerprint, cacheDir) : compute.precision === 'int8' ? await int8Model(modelPath, fingerprint, cacheDir) : modelPath;
    const session = await openSession(sessionFile, compute);
    try {
      const input = checkImageInput(card, session, modelPath);
      const inputSize = resolveInputSize(card, input, opts.inputSize, modelPath);
      return new OnnxBackbone(card, fingerprint, inputSize, modelPath, compute, await weightBytesOf(sessionFile), session, input.fixedBatch, opts);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  async run(batch: Float32Array, n: number, features: readonly string[]): Promise<Record<string, Matrix>> {
    const specs = features.map((f) => this.spec(f));
    if (specs.length === 0) return {};
    const outputs = await this.forward(batch, n, specs);
    const result: Record<string, Matrix> = {};
    features.forEach((f, i) => {
      result[f] = this.featureMatrix(f, specs[i], outputs, n);
    });
    return result;
  }

  async runGrid(batch: Float32Array, n: number, maps: readonly string[]): Promise<Record<string, Tensor4>> {
    const specs: FeatureSpec[] = maps.map((m) => {
      if (!isBlockRef(m)) {
        if (!this.session.outputNames.includes(m)) throw this.unknownOutput(m);
        return { output: m };
      }
      const blocks = parseBlockRef(m);
      if (!blocks || blocks.length !== 1) throw new MedprobeError(`runGrid takes one block per map, got '${m}'`, { hint: "ask for 'block:-1', 'block:-4', … separately" });
      return { output: m, blocks };
    });
    const outputs = await this.forward(batch, n, specs);
    const result: Record<string, Tensor4> = {};
    maps.forEach((m, i) => {
      const s = specs[i];
      const t = outputs.get(s.blocks ? blockOutputName(s.blocks[0]) : s.output)!;
      if (t.dims.length === 4) {
        result[m] = this.card.input.layout === 'NHWC' ? nhwcToNchw(t.data, t.dims) : { data: t.data, dims: t.dims as [number, number, number, number] };
      } else if (t.dims.length === 3) {
        result[m] = patchGrid(t.data, n, t.dims[1], t.dims[2], tokenLayout(this.card, this.inputSize, t.dims[1], m));
      } else {
        throw new MedprobeError(`model ${this.card.name}: output ${m} has shape [${t.dims.join(',')}], not a spatial map or token sequence`, {
          hint: 'runGrid takes 4-D feature maps or 3-D token outputs',
        });
      }
    });
    return result;
  }

  /**
   * A ViT card's activation estimate (batch-memory.ts) at this input size: tokens from the patch
   * grid, CLS and registers, D from the token output's shape, plus the block outputs the features
   * need exposed. Other models (CNNs, a token output without a static D) give none.
   */
  memoryProfile(features: readonly string[]): MemoryProfile | undefined {
    const vit = this.card.vit;
    if (!vit) return undefined;
    const meta = this.session.outputMetadata.find((m) => m.name === vit.tokensOutput);
    const dim = meta?.isTensor ? meta.shape[meta.shape.length - 1] : undefined;
    if (typeof dim !== 'number' || dim <= 0) return undefined;
    const grid = Math.floor(this.inputSize / vit.patchSize);
    const tokens = grid * grid + (vit.hasClsToken ? 1 : 0) + vit.numRegisterTokens;
    const needed = Math.max(0, ...features.flatMap((f) => (this.specs.get(f)?.blocks ?? (isBlockRef(f) ? parseBlockRef(f) ?? [] : [])).map((k) => -k)));
    const exposedBlocks = needed > 0 ? Math.max(needed, MIN_EXPOSED_BLOCKS) : 0;
    // fp16 activations are 2 bytes only where the provider runs fp16 kernels; the CPU provider casts around most ops.
    const bytesPerValue = this.compute.precision === 'fp16' && this.compute.device !== 'cpu' ? 2 : 4;
    return {
      weightBytes: this.weightBytes,
      perImageBytes: vitActivationBytesPerImage({ tokens, dim, exposedBlocks, bytesPerValue }),
      basis: `ViT ${tokens} tokens × ${dim}${exposedBlocks ? `, ${exposedBlocks} blocks exposed` : ''}`,
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
  }

  private spec(feature: string): FeatureSpec {
    const s = this.specs.get(feature);
    if (!s) {
      throw new MedprobeError(`model ${this.card.name} has no feature '${feature}'`, {
        hint: `available: ${this.features.join(', ')}`,
      });
    }
    return s;
  }

  private unknownOutput(name: string): MedprobeError {
    return new MedprobeError(`model ${this.card.name}: graph ${this.modelPath} has no output '${name}'`, {
      file: this.modelPath,
      hint: `graph outputs: ${this.session.outputNames.join(', ')}`,
    });
  }

  /** Runs the graph once (per fixed-batch chunk) and returns the outputs the specs need. */
  private async forward(batch: Float32Array, n: number, specs: readonly FeatureSpec[]): Promise<Map<string, { data: Float32Array; dims: number[] }>> {
    if (this.disposed) throw new Error(`backbone ${this.card.name} was disposed`);
    const s = this.inputSize;
    const per = 3 * s * s;
    if (batch.length !== n * per) throw new RangeError(`batch has ${batch.length} values, expected ${n}×3×${s}×${s}`);
    const needBlocks = Math.max(0, ...specs.flatMap((sp) => (sp.blocks ?? []).map((k) => -k)));
    if (needBlocks > this.exposedBlocks) {
      this.blocksReady = this.blocksReady.then(() => (needBlocks > this.exposedBlocks ? this.exposeBlocks(needBlocks) : undefined));
      await this.blocksReady;
    }
    const fetches = [...new Set(specs.flatMap((sp) => (sp.blocks ? sp.blocks.map(blockOutputName) : [sp.output])))];
    const chunk = this.fixedBatch ?? n;
    const parts: Record<string, ort.Tensor>[] = [];
    for (let start = 0; start < n; start += chunk) {
      const m = Math.min(chunk, n - start);
      let x = batch.subarray(start * per, (start + m) * per);
      if (m < chunk) {
        // A fixed-batch graph gets a zero-padded last chunk; the padding rows are dropped below.
        const padded = new Float32Array(chunk * per);
        padded.set(x);
        x = padded;
      }
      const dims = this.card.input.layout === 'NHWC' ? [chunk, s, s, 3] : [chunk, 3, s, s];
      const data = this.card.input.layout === 'NHWC' ? nchwToNhwc(x, chunk, s) : x;
      try {
        parts.push(await this.session.run({ [this.card.input.name]: new ort.Tensor('float32', data, dims) }, fetches));
      } catch (e) {
        const raw = String((e as Error).message ?? e).split('\n')[0].slice(0, 200);
        throw new MedprobeError(`ONNX Runtime failed running ${this.modelPath} at ${s}x${s}: ${raw}`, {
          file: this.modelPath,
          cause: e,
          hint:
            s !== this.card.input.size
              ? `the export may not interpolate position embeddings for sizes other than ${this.card.input.size}; re-export with dynamic H/W and traced interpolation (docs/models.md) or run at input.size`
              : 'check that the card describes this export (input layout, size, outputs)',
        });
      }
    }
    const out = new Map<string, { data: Float32Array; dims: number[] }>();
    for (const name of fetches) {
      const first = parts[0][name];
      if (first.type !== 'float32') {
        throw new MedprobeError(`model ${this.card.name}: output ${name} is ${first.type}, not float32`, { file: this.modelPath, hint: 'pick a float output as the feature' });
      }
      const rowLen = first.dims.slice(1).reduce((a, b) => a * b, 1);
      if (parts.length === 1 && first.dims[0] === n) {
        // One run over the whole batch: hand ORT's output buffer over instead of copying it.
        out.set(name, { data: first.data as Float32Array, dims: [n, ...first.dims.slice(1)] });
        continue;
      }
      const data = new Float32Array(n * rowLen);
      parts.forEach((p, i) => {
        const rows = Math.min(chunk, n - i * chunk);
        data.set((p[name].data as Float32Array).subarray(0, rows * rowLen), i * chunk * rowLen);
      });
      out.set(name, { data, dims: [n, ...first.dims.slice(1)] });
      for (const p of parts) p[name].dispose();
    }
    return out;
  }

  private featureMatrix(feature: string, spec: FeatureSpec, outputs: Map<string, { data: Float32Array; dims: number[] }>, n: number): Matrix {
    const names = spec.blocks ? spec.blocks.map(blockOutputName) : [spec.output];
    const mats = names.map((name) => {
      const t = outputs.get(name)!;
      const label = spec.blocks ? spec.output : name;
      if (t.dims.length === 2) {
        if (spec.view) throw new MedprobeError(`model ${this.card.name}: output ${label} is a [N,D] vector, view '${spec.view}' needs tokens`, { hint: 'drop the view' });
        // A copy: two features may read the same output, and consumers may normalise rows in place.
        return matrix(n, t.dims[1], t.data.slice());
      }
      if (t.dims.length === 4) {
        if (spec.view) throw new MedprobeError(`model ${this.card.name}: output ${label} is a 4-D map, view '${spec.view}' needs tokens`, { hint: 'drop the view: maps are globally averaged' });
        if (this.card.pool?.[feature] === 'none') {
          // The whole map, flattened channel-major (NCHW) as the card's `pool: none` promises.
          const map = this.card.input.layout === 'NHWC' ? nhwcToNchw(t.data, t.dims).data : t.data.slice();
          return matrix(n, map.length / n, map);
        }
        return globalAverage(t.data, t.dims, this.card.input.layout);
      }
      if (t.dims.length === 3) {
        const layout = tokenLayout(this.card, this.inputSize, t.dims[1], label);
        return tokenView(t.data, n, t.dims[1], t.dims[2], layout, spec.view ?? defaultTokenView(layout), this.card.name);
      }
      throw new MedprobeError(`model ${this.card.name}: output ${label} has shape [${t.dims.join(',')}]; features must be [N,D], [N,T,D] or [N,C,H,W]`, {
        hint: 'pick another output in the card',
      });
    });
    return mats.length === 1 ? mats[0] : concatCols(...mats);
  }

  /** Swaps the session for one over the edited graph that also outputs (at least) the last `needed` blocks. */
  private async exposeBlocks(needed: number): Promise<void> {
    const edited = await exposeLastBlocks(this.modelPath, this.fingerprint, Math.max(needed, MIN_EXPOSED_BLOCKS), this.opts.cacheDir ?? defaultCacheDir(), {
      needed,
      tokensOutput: this.card.vit?.tokensOutput,
      precision: this.compute.precision,
    });
    const session = await openSession(edited.file, this.compute);
    await this.session.release();
    this.session = session;
    this.exposedBlocks = edited.exposed;
  }
}

/** Size of a model's .onnx file plus its external data files (what ORT loads as weights). */
async function weightBytesOf(modelPath: string): Promise<number> {
  let total = (await fs.stat(modelPath)).size;
  for (const loc of await externalDataLocationsOf(modelPath)) total += (await fs.stat(path.resolve(path.dirname(modelPath), loc))).size;
  return total;
}

function nchwToNhwc(x: Float32Array, n: number, s: number): Float32Array {
  const out = new Float32Array(x.length);
  const hw = s * s;
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < hw; p++) out[(i * hw + p) * 3 + c] = x[(i * 3 + c) * hw + p];
  return out;
}

/** Feature names → specs: the card's outputs and views, plus the standard ViT views when the card has `vit`. */
function resolveFeatures(card: ModelCard, graphOutputs: readonly string[], modelPath: string): Map<string, FeatureSpec> {
  const specs = new Map<string, FeatureSpec>();
  const checkOutput = (feature: string, output: string): void => {
    if (isBlockRef(output)) {
      if (!parseBlockRef(output)) {
        throw new MedprobeError(`model card ${card.name}: feature '${feature}' has malformed block ref '${output}'`, { hint: "write 'block:-1' or 'block:-4..-1' (negative indices count from the last block)" });
      }
      return;
    }
    if (!graphOutputs.includes(output)) {
      throw new MedprobeError(`model card ${card.name}: feature '${feature}' reads output '${output}', which ${modelPath} does not have`, {
        file: modelPath,
        hint: `graph outputs: ${graphOutputs.join(', ')}`,
      });
    }
  };
  for (const [feature, output] of Object.entries(card.outputs)) {
    checkOutput(feature, output);
    specs.set(feature, isBlockRef(output) ? { output, blocks: parseBlockRef(output)! } : { output });
  }
  for (const [feature, v] of Object.entries(card.features ?? {})) {
    if (specs.has(feature)) throw new MedprobeError(`model card ${card.name}: feature '${feature}' is in both outputs and features`, { hint: 'rename one of them' });
    checkOutput(feature, v.output);
    if (v.view && card.vit && !card.vit.hasClsToken && (v.view === 'cls' || v.view === 'cls+mean-patch')) {
      throw new MedprobeError(`model card ${card.name}: feature '${feature}' asks for view '${v.view}' but the model has no CLS token (vit.hasClsToken: false)`, {
        hint: "use 'mean-patch'",
      });
    }
    specs.set(feature, { output: v.output, view: v.view, blocks: isBlockRef(v.output) ? parseBlockRef(v.output)! : undefined });
  }
  const vit = card.vit;
  if (vit && graphOutputs.includes(vit.tokensOutput)) {
    const views: TokenView[] = vit.hasClsToken ? ['cls', 'mean-patch', 'cls+mean-patch'] : ['mean-patch'];
    for (const view of views) {
      if (!specs.has(view)) specs.set(view, { output: vit.tokensOutput, view });
      const last4 = `last4/${view}`;
      if (!specs.has(last4)) specs.set(last4, { output: 'block:-4..-1', blocks: [-4, -3, -2, -1], view });
    }
  }
  return specs;
}
