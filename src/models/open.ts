import path from 'node:path';
import type ort from 'onnxruntime-node';
import { MedprobeError } from '../util/errors.js';
import type { Backbone } from './backbone.js';
import { loadCard, parseCard, type LoadedCard, type ModelCard } from './card.js';
import { cardFromHubFolder, type HubVariant } from './hub-folder.js';
import { OnnxBackbone, type OnnxBackboneOptions } from './onnx/backbone.js';
import { resolveCompute } from './onnx/provider.js';
import { openSession } from './onnx/session.js';

/** Where a backbone comes from: a card file, a transformers.js/HF folder, or a bare ONNX file. */
export type BackboneRef =
  | { card: string }
  | { folder: string; variant?: HubVariant }
  /** `card` is a card file, or card fields (without `file`) as an object; absent: inferred from the graph. */
  | { onnx: string; card?: string | Omit<Partial<ModelCard>, 'file'> };

export type OpenBackboneOptions = OnnxBackboneOptions;

/** The single entry point from a model reference to a running backbone; dispatches on the card's format. */
export async function openBackbone(ref: BackboneRef, opts: OpenBackboneOptions = {}): Promise<Backbone> {
  const loaded = await resolveCard(ref);
  const format = loaded.card.format;
  switch (format) {
    case 'onnx':
      return OnnxBackbone.open(loaded, opts);
    case 'tfjs-layers':
    case 'tfjs-graph': {
      const { TfjsBackbone } = await loadTfjs(loaded.cardPath);
      return TfjsBackbone.open(loaded, { inputSize: opts.inputSize });
    }
  }
}

/** The packages TF.js cards need: optional peers of medprobe, so installs without TF.js models stay ~290 MB lighter. */
export const TFJS_PACKAGES = ['@tensorflow/tfjs@^4.22.0', '@tensorflow/tfjs-backend-wasm@^4.22.0'] as const;

/**
 * TF.js, imported only for TF.js cards (it takes ~2 s to load and ~290 MB to install). When it
 * is not installed, one line names the packages to add.
 */
export async function loadTfjs(cardPath: string): Promise<typeof import('./tfjs/backbone.js')> {
  try {
    return await import('./tfjs/backbone.js');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const missing = /@tensorflow\/tfjs[\w-]*/.exec(String(err.message));
    if ((err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && missing) {
      throw new MedprobeError(`${cardPath} is a TF.js model, and TF.js (${missing[0]}) is not installed: it is an optional dependency of medprobe`, {
        file: cardPath,
        hint: `npm install ${TFJS_PACKAGES.join(' ')}`,
      });
    }
    throw e;
  }
}

async function resolveCard(ref: BackboneRef): Promise<LoadedCard> {
  if ('card' in ref && !('onnx' in ref)) return loadCard(ref.card);
  if ('folder' in ref) return cardFromHubFolder(ref.folder, { variant: ref.variant });
  const onnxPath = path.resolve(ref.onnx);
  if (typeof ref.card === 'string') {
    const loaded = await loadCard(ref.card);
    return { ...loaded, modelPath: onnxPath };
  }
  const base = ref.card ?? (await inferCardFields(onnxPath));
  const card = parseCard({ name: path.basename(onnxPath, '.onnx'), ...base, file: path.basename(onnxPath) }, onnxPath);
  return { card, cardPath: onnxPath, modelPath: onnxPath };
}

/**
 * A card guessed from a bare ONNX graph: its only input, layout from where the 3 channels sit,
 * size from fixed H/W, every output a feature. Pixel scaling is NOT in a graph, so this uses
 * [0,1] (rescale 1/255, mean 0, std 1); give a card when the model was trained otherwise.
 */
async function inferCardFields(onnxPath: string): Promise<Omit<Partial<ModelCard>, 'file'>> {
  // Only the graph's inputs and outputs are read: a one-thread CPU session whatever the run's device.
  const session: ort.InferenceSession = await openSession(onnxPath, await resolveCompute({ device: 'cpu', threads: 1 }));
  try {
    const meta = session.inputMetadata[0];
    const shape = meta && meta.isTensor ? meta.shape : [];
    const nhwc = shape.length === 4 && shape[3] === 3 && shape[1] !== 3;
    const side = shape.length === 4 ? (nhwc ? shape[1] : shape[2]) : undefined;
    if (typeof side !== 'number' || side <= 0) {
      throw new MedprobeError(`${onnxPath} has dynamic H/W, so its native input size cannot be inferred`, {
        file: onnxPath,
        hint: 'give a model card (input.size, mean, std) — see docs/models.md',
      });
    }
    return {
      input: { name: session.inputNames[0], layout: nhwc ? 'NHWC' : 'NCHW', size: side, channels: 3, rescale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], resample: 'bilinear' },
      outputs: Object.fromEntries(session.outputNames.map((o) => [o, o])),
    };
  } finally {
    await session.release();
  }
}
