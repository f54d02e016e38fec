import { z } from 'zod';
import { fewshotProtocol } from './fewshot.js';
import { bitfitProtocol, finetuneProtocol, loraProtocol } from './finetune/index.js';
import { knnProtocol } from './knn.js';
import { linearProtocol } from './linear/index.js';
import { mlknnProtocol } from './mlknn.js';
import { segFewShotProtocol, segLinearProtocol, segUnetProtocol } from './segmentation/protocol.js';
import type { RegisteredProtocol } from './protocol.js';
import type { MetricName, TaskKind } from '../metrics/names.js';

/**
 * THE protocol registry: suite key → protocol module (options schema with its defaults, main
 * score, applicability, feature sets, runner). The suite schema, the planner, the unit executor
 * and the docs all read this one table.
 *
 * To add a protocol: write one module with `defineProtocol({...})` (classification, on cached
 * feature vectors; see knn.ts for the smallest one) or `defineSegProtocol({...})` (segmentation,
 * on cached feature grids; see segmentation/protocol.ts) and add it here. Nothing else needs to
 * know about it: the planner skips protocols whose kind does not match a dataset's, saying why.
 */
export const PROTOCOLS = {
  knn: knnProtocol,
  linear: linearProtocol,
  mlknn: mlknnProtocol,
  fewshot: fewshotProtocol,
  lora: loraProtocol,
  bitfit: bitfitProtocol,
  finetune: finetuneProtocol,
  'seg-linear': segLinearProtocol,
  'seg-unet': segUnetProtocol,
  'seg-fewshot': segFewShotProtocol,
} as const satisfies Record<string, RegisteredProtocol<z.ZodType>>;

export type ProtocolName = keyof typeof PROTOCOLS;
export const PROTOCOL_NAMES = Object.keys(PROTOCOLS) as ProtocolName[];

/** Options of protocol `N` as parsed from a suite (defaults applied). */
export type ProtocolConfig<N extends ProtocolName> = z.output<(typeof PROTOCOLS)[N]['options']>;

/** The module of a protocol named in a suite, typed loosely for generic callers (planner, units). */
export function protocolModule(name: ProtocolName): RegisteredProtocol<z.ZodType> {
  return PROTOCOLS[name] as unknown as RegisteredProtocol<z.ZodType>;
}

/** Why a protocol does not run on a dataset of this kind (classification vs segmentation), or null. */
export function kindMismatch(name: ProtocolName, datasetKind: 'classification' | 'segmentation'): string | null {
  const kind = PROTOCOLS[name].kind;
  return kind === datasetKind ? null : `${name} is a ${kind} protocol and this is a ${datasetKind} dataset`;
}

type ProtocolsShape = { [N in ProtocolName]: z.ZodOptional<(typeof PROTOCOLS)[N]['options']> };

/** A suite's `protocols:` block: each registered protocol's options, all optional, at least one named. */
export const ProtocolsSchema = z
  .object(Object.fromEntries(PROTOCOL_NAMES.map((n) => [n, PROTOCOLS[n].options.optional()])) as ProtocolsShape)
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'name at least one protocol');

/**
 * The main score of a task kind: the one every registered protocol of that kind declares, so a
 * leaderboard ranks all tables of a kind by one score (classification: AUROC; segmentation: the
 * study's (Dice + Jaccard) / 2). Protocols of one kind that disagreed would be a registry bug.
 */
export function kindMainScore(kind: TaskKind): MetricName {
  const scores = [...new Set(PROTOCOL_NAMES.filter((n) => PROTOCOLS[n].kind === kind).map((n) => PROTOCOLS[n].mainScore))];
  if (scores.length !== 1) throw new Error(`${kind} protocols declare ${scores.length ? scores.join(', ') : 'no'} main scores; a kind has exactly one`);
  return scores[0];
}

/** The score a leaderboard ranks results of `protocol` by: its registered main score, or its kind's for a protocol outside the registry (older result files). */
export function mainScoreOf(protocol: string, kind: TaskKind): MetricName {
  const m = (PROTOCOLS as Record<string, RegisteredProtocol<z.ZodType>>)[protocol];
  return m && m.kind === kind ? m.mainScore : kindMainScore(kind);
}
