/**
 * What the site needs from a model catalog card (src/models/catalog/ is written separately).
 * Anything that can describe a model maps onto this; absent fields render as "not stated",
 * and a model with no entry at all renders as "no card".
 */
export interface SiteModelCard {
  name: string;
  organisation?: string;
  /** ISO date or year. */
  releaseDate?: string;
  architecture?: string;
  /** Parameter count of the backbone. */
  params?: number;
  pretrainingData?: string;
  /** Number of pretraining images, for the scaling figure. */
  pretrainingImages?: number;
  licence?: string;
  citation?: string;
  url?: string;
  summary?: string;
  /** bio.rodeo-style openness: a class (e.g. "open"), a score, and the rule that produced them. */
  openness?: { class: string; score: number; rule: string };
}
