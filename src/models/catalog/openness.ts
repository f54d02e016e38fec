import type { OpennessFacts } from './schema.js';

export type OpennessClass = 'open' | 'open-weights' | 'restricted' | 'closed';

export interface OpennessAssessment {
  class: OpennessClass;
  /** 0–100: points earned out of 5, as a percentage. */
  score: number;
  /** The points per criterion, so a reader can check the sum. */
  points: { weights: number; trainingCode: number; trainingData: number; licence: number };
}

/**
 * The openness rule (bio.rodeo spirit: can you get it, rebuild it, and use it?). Documented in
 * docs/catalog.md; change both together.
 *
 * Points (max 5):
 *   weights       open 2 · gated 1 · closed 0   (weights count double: without them nothing else matters here)
 *   training code open 1 · partial 0.5 · closed/unknown 0
 *   training data open 1 · partial 0.5 · closed/unknown 0
 *   licence       no use restriction 1 · non-commercial / research-only / unknown 0
 * score = round(100 · points / 5).
 *
 * Class:
 *   closed       weights not released;
 *   restricted   weights gated, or the licence restricts use (or is unknown);
 *   open         weights, code and data all open and no use restriction;
 *   open-weights everything else (weights usable freely, but code or data not fully open).
 */
export function assessOpenness(f: OpennessFacts): OpennessAssessment {
  const level = (l: OpennessFacts['trainingCode']) => (l === 'open' ? 1 : l === 'partial' ? 0.5 : 0);
  const points = {
    weights: f.weights === 'open' ? 2 : f.weights === 'gated' ? 1 : 0,
    trainingCode: level(f.trainingCode),
    trainingData: level(f.trainingData),
    licence: f.licenceRestriction === 'none' ? 1 : 0,
  };
  const total = points.weights + points.trainingCode + points.trainingData + points.licence;
  let cls: OpennessClass;
  if (f.weights === 'closed') cls = 'closed';
  else if (f.weights === 'gated' || f.licenceRestriction !== 'none') cls = 'restricted';
  else if (f.trainingCode === 'open' && f.trainingData === 'open') cls = 'open';
  else cls = 'open-weights';
  return { class: cls, score: Math.round((100 * total) / 5), points };
}

/**
 * bio.rodeo shows openness as two questions and a licence class; these answer them from the
 * same facts (documented in docs/catalog.md):
 *
 *   usability       "can I run it?"     weights open 2 · gated 1 · closed 0, plus use allowed by the
 *                                       licence: no restriction 1 · non-commercial / research-only 0.5 · unknown 0;
 *                                       score = round(100 · points / 3)
 *   reproducibility "can I retrain it?" training code + training data, each open 1 · partial 0.5 · closed/unknown 0;
 *                                       score = round(100 · points / 2)
 */
export interface OpennessSubscores {
  usability: number;
  reproducibility: number;
}

export function opennessSubscores(f: OpennessFacts): OpennessSubscores {
  const level = (l: OpennessFacts['trainingCode']) => (l === 'open' ? 1 : l === 'partial' ? 0.5 : 0);
  const weights = f.weights === 'open' ? 2 : f.weights === 'gated' ? 1 : 0;
  const use = f.licenceRestriction === 'none' ? 1 : f.licenceRestriction === 'unknown' ? 0 : 0.5;
  return {
    usability: Math.round((100 * (weights + use)) / 3),
    reproducibility: Math.round((100 * (level(f.trainingCode) + level(f.trainingData))) / 2),
  };
}

export type LicenceClass = 'permissive' | 'copyleft' | 'non-commercial' | 'non-commercial, no derivatives' | 'research-only' | 'custom' | 'unknown';

/** The class of a licence text, for a reader comparing models at a glance; the text itself stays the authority. */
export function licenceClass(licence: string | null | undefined): LicenceClass {
  if (!licence) return 'unknown';
  const l = licence.toUpperCase();
  const nc = /\bNC\b|-NC\b|NON-?COMMERCIAL/.test(l);
  if (nc && /\bND\b|-ND\b|NODERIV|NO DERIVATIVES/.test(l)) return 'non-commercial, no derivatives';
  if (nc) return 'non-commercial';
  if (/RESEARCH/.test(l)) return 'research-only';
  if (/\bA?GPL|-SA\b|SHAREALIKE|MPL/.test(l)) return 'copyleft';
  if (/APACHE|\bMIT\b|\bBSD|CC[- ]BY\b|CC0|UNLICENSE/.test(l)) return 'permissive';
  return 'custom';
}
