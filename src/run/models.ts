import path from 'node:path';
import type { Backbone } from '../models/backbone.js';
import { openBackbone } from '../models/open.js';
import { defaultFeatureOf } from '../models/card.js';
import { MedprobeError } from '../util/errors.js';
import type { Precision } from '../models/onnx/device.js';
import type { ModelEntry, Suite } from './suite.js';
import { protocolModule, type ProtocolName } from '../protocols/registry.js';

export interface SuiteModel {
  /** Name used in results and the leaderboard. */
  name: string;
  backbone: Backbone;
  /** Features to extract; protocols use the first. */
  features: string[];
  /** Model files and their sha256, for provenance. */
  files: Record<string, string>;
}

/**
 * Open a suite's model. Its features are the entry's list (or the card's default) plus every
 * feature set the suite's protocols train on, so one extraction pass serves all protocols.
 */
export async function openSuiteModel(entry: ModelEntry, ctx: { baseDir: string; cacheDir: string; protocols?: Suite['protocols']; precision?: Precision }): Promise<SuiteModel> {
  const ref = entry.card ? { card: path.resolve(ctx.baseDir, entry.card) } : { folder: path.resolve(ctx.baseDir, entry.hub!) };
  const backbone = await openBackbone(ref, { inputSize: entry.inputSize, cacheDir: ctx.cacheDir, ...(ctx.precision ? { precision: ctx.precision } : {}) });
  if (ctx.precision && ctx.precision !== 'fp32' && backbone.compute?.precision !== ctx.precision) {
    await backbone.dispose();
    throw new MedprobeError(`precision ${ctx.precision}: model ${backbone.card.name} is a ${backbone.card.format} model, and only ONNX backbones are converted`, {
      file: entry.card ?? entry.hub,
      hint: 'convert the model to ONNX, or run it at fp32 (drop precision from the suite, or --precision fp32)',
    });
  }
  const base = entry.features ?? [defaultFeatureOf(backbone.card)];
  const wanted = Object.entries(ctx.protocols ?? {}).flatMap(([name, config]) =>
    config ? Object.values(protocolModule(name as ProtocolName).featureSets(config, backbone.card, base[0])) : [],
  );
  const features = [...new Set([...base, ...wanted])];
  const unknown = features.filter((f) => !backbone.features.includes(f));
  if (unknown.length) {
    await backbone.dispose();
    throw new MedprobeError(`model ${backbone.card.name} has no feature ${unknown.map((f) => `'${f}'`).join(', ')}`, {
      file: entry.card ?? entry.hub,
      hint: `available: ${backbone.features.join(', ')}`,
    });
  }
  return {
    name: entry.name ?? backbone.card.name,
    backbone,
    features,
    files: backbone.modelPath ? { [backbone.modelPath]: backbone.fingerprint } : {},
  };
}
