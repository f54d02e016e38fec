import * as tf from '@tensorflow/tfjs';
import { MedprobeError } from '../../util/errors.js';
import { closeMatches } from '../../util/close-matches.js';

/** A layer found by a card's feature-node path, with the chain of (nested) models leading to it. */
export interface ResolvedLayer {
  /** Models from the top model down to the one that directly holds `layer`. */
  chain: tf.LayersModel[];
  layer: tf.layers.Layer;
  /** Slash-joined names from the top model, e.g. `sequential_5/model2/out_relu`. */
  path: string;
}

function isContainer(l: tf.layers.Layer): l is tf.LayersModel {
  return l instanceof tf.LayersModel;
}

function realLayers(m: tf.LayersModel): tf.layers.Layer[] {
  return m.layers.filter((l) => l.getClassName() !== 'InputLayer');
}

/** Every layer of `m`, nested models included, with its slash path and chain. */
export function allLayers(m: tf.LayersModel, chain: tf.LayersModel[] = [m], prefix = ''): ResolvedLayer[] {
  return realLayers(m).flatMap((layer) => {
    const p = prefix + layer.name;
    const self: ResolvedLayer = { chain, layer, path: p };
    return isContainer(layer) ? [self, ...allLayers(layer, [...chain, layer], p + '/')] : [self];
  });
}

/**
 * Finds a layer by `a/b/leaf` (exact walk through nested models) or by a bare name searched at
 * every depth (must be unique). Unknown names fail with the closest layer names, since Keras
 * exports wrap the backbone in `sequential_N`/`model_N` shells users cannot guess.
 */
export function resolveLayer(model: tf.LayersModel, nodePath: string, source: string): ResolvedLayer {
  const everything = allLayers(model);
  const parts = nodePath.split('/').filter((s) => s.length > 0);
  if (parts.length === 1) {
    const hits = everything.filter((r) => r.layer.name === parts[0]);
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) {
      throw new MedprobeError(`feature node '${nodePath}' is ambiguous in ${source}: ${hits.map((h) => h.path).join(', ')}`, {
        file: source,
        hint: 'give the full slash path of the one you mean',
      });
    }
  } else {
    let chain: tf.LayersModel[] = [model];
    for (let i = 0; i < parts.length; i++) {
      const holder = chain[chain.length - 1];
      const layer = realLayers(holder).find((l) => l.name === parts[i]);
      if (layer && i === parts.length - 1) return { chain, layer, path: parts.join('/') };
      if (layer && isContainer(layer)) {
        chain = [...chain, layer];
        continue;
      }
      break;
    }
  }
  const names = everything.flatMap((r) => [r.path, r.layer.name]);
  const near = closeMatches(nodePath, names, 6);
  throw new MedprobeError(`feature node '${nodePath}' is not a layer of ${source}`, {
    file: source,
    hint: `close layer names: ${near.join(', ')} (nested layers take a slash path like ${everything.find((r) => r.chain.length > 1)?.path ?? 'outer/inner/layer'})`,
  });
}

/** A cut model and, per requested layer, which of its outputs holds that layer's activation. */
export interface FeatureModel {
  model: tf.LayersModel;
  outputIndex: number[];
}

/**
 * One model from the top input to the requested layers' outputs, cutting away everything
 * after them (e.g. a classifier head). Layers before a nested model inside a Sequential shell
 * are replayed, so wrapped preprocessing layers are kept; a nested model inside a functional
 * model must be fed by that model's input, else the cut would silently drop layers. Each nested
 * model is applied once with all its requested layers as outputs, and a layer named twice is
 * one output, so the backbone runs once per batch however many features read it.
 */
export function featureModel(model: tf.LayersModel, layers: readonly ResolvedLayer[], source: string): FeatureModel {
  const input = tf.input({ shape: model.inputs[0].shape.slice(1) as number[], dtype: 'float32' });
  const fed = new Map<tf.LayersModel, tf.SymbolicTensor>([[model, input]]);
  const feed = (chain: tf.LayersModel[]): tf.SymbolicTensor => {
    const last = chain[chain.length - 1];
    const known = fed.get(last);
    if (known) return known;
    const parent = chain[chain.length - 2];
    let x = feed(chain.slice(0, -1));
    const before = realLayers(parent).slice(0, realLayers(parent).indexOf(last));
    if (parent.getClassName() === 'Sequential') {
      for (const l of before) x = l.apply(x) as tf.SymbolicTensor;
    } else if (before.length > 0 || parent.inputs.length !== 1) {
      throw new MedprobeError(`cannot cut ${source} at a layer inside nested model '${last.name}': it is not fed directly by the input of '${parent.name}'`, {
        file: source,
        hint: `name a layer of '${parent.name}' itself as the feature node`,
      });
    }
    fed.set(last, x);
    return x;
  };
  // Distinct layers, grouped by the (nested) model that holds them.
  const distinct = [...new Map(layers.map((r) => [r.layer, r])).values()];
  const byHolder = new Map<tf.LayersModel, ResolvedLayer[]>();
  for (const r of distinct) {
    if (Array.isArray(r.layer.output)) {
      throw new MedprobeError(`feature node '${r.path}' of ${source} has ${r.layer.output.length} outputs`, { file: source, hint: 'name a single-output layer' });
    }
    const holder = r.chain[r.chain.length - 1];
    byHolder.set(holder, [...(byHolder.get(holder) ?? []), r]);
  }
  const outputs: tf.SymbolicTensor[] = [];
  const slot = new Map<tf.layers.Layer, number>();
  for (const group of byHolder.values()) {
    const holder = group[0].chain[group[0].chain.length - 1];
    const cut = tf.model({ inputs: holder.inputs, outputs: group.map((r) => r.layer.output as tf.SymbolicTensor) });
    const applied = cut.apply(feed(group[0].chain));
    const list = Array.isArray(applied) ? (applied as tf.SymbolicTensor[]) : [applied as tf.SymbolicTensor];
    group.forEach((r, k) => {
      slot.set(r.layer, outputs.length);
      outputs.push(list[k]);
    });
  }
  return { model: tf.model({ inputs: input, outputs }), outputIndex: layers.map((r) => slot.get(r.layer)!) };
}
