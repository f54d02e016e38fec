/**
 * "Card" means four things in medprobe; the site names them apart:
 * - model card: the YAML/JSON file that tells medprobe how to run a local backbone (examples/models);
 * - catalog entry: what the model catalog (src/models/catalog) knows about a published model — this type;
 * - dataset facts: licence, citation, leakage of a dataset (`DatasetInfo`, dataset-facts.ts);
 * - result summary: one result file's row on a model or dataset page (`ResultRow`).
 *
 * A catalog entry as the site shows it. Anything that can describe a model maps onto this; absent
 * fields render as "not stated", and a model with no entry says "no catalog entry".
 */
export interface SiteCatalogEntry {
  name: string;
  /**
   * Other names the same model appears under in result files (catalog id, hub id, the name in a
   * medprobe model card). A result whose `model.name` equals `name` or an alias gets this entry.
   */
  aliases?: string[];
  organisation?: string;
  /** ISO date or `YYYY-MM`. */
  releaseDate?: string;
  architecture?: string;
  /** Parameter count of the backbone. */
  params?: number;
  pretrainingData?: string;
  /** Number of pretraining images, for the scaling figure. */
  pretrainingImages?: number;
  licence?: string;
  /** permissive, copyleft, non-commercial, … (`licenceClass` in src/models/catalog/openness.ts). */
  licenceClass?: string;
  citation?: string;
  url?: string;
  summary?: string;
  /**
   * bio.rodeo-style openness: a class (e.g. "open"), a score and the rule that produced them, and the
   * two sub-scores bio.rodeo shows: usability ("can I run it?") and reproducibility ("can I retrain it?"), 0–100.
   */
  openness?: { class: string; score: number; rule: string; usability?: number; reproducibility?: number };
}

/**
 * The fields of a src/models/catalog card this adapter reads, typed structurally so the report
 * layer does not depend on the catalog module's internals (a sourced value is `{ value, source }`
 * or `{ value: null, unknown }`).
 */
export interface CatalogCardLike {
  id: string;
  name: string;
  organisation: string;
  architecture: string;
  featureReadout?: string;
  hubId: string | null;
  params: { value: number | null };
  pretraining: { method: string; data: string; images: { value: number | null } };
  licence: { value: string | null; note?: string };
  citation: { title: string; venue: string; year: number; arxiv: string | null };
  released: { value: string | null };
  openness: { weights: string; trainingCode: string; trainingData: string; licenceRestriction: string; evidence: string };
  localCards?: string[];
}

/** The catalog's openness verdict for a card (`assessOpenness` in src/models/catalog/openness.ts). */
export interface OpennessVerdict {
  class: string;
  score: number;
  points: { weights: number; trainingCode: number; trainingData: number; licence: number };
  /** `opennessSubscores` */
  usability?: number;
  reproducibility?: number;
  /** `licenceClass` of the licence text */
  licenceClass?: string;
}

/**
 * Map a catalog card and its openness verdict onto the site's card. The rule line spells out the
 * points behind the score, so a reader can check it: `weights open 2 + code open 1 + …`.
 */
export function siteEntryFromCatalog(card: CatalogCardLike, verdict: OpennessVerdict): SiteCatalogEntry {
  const o = card.openness;
  const p = verdict.points;
  const total = p.weights + p.trainingCode + p.trainingData + p.licence;
  const rule =
    `weights ${o.weights} ${p.weights} + training code ${o.trainingCode} ${p.trainingCode} + training data ${o.trainingData} ${p.trainingData} + ` +
    `licence restriction ${o.licenceRestriction} ${p.licence} = ${total} of 5 → ${verdict.score}. ${o.evidence}`;
  const aliases = new Set<string>([card.id]);
  if (card.hubId) {
    aliases.add(card.hubId);
    aliases.add(card.hubId.split('/').pop()!);
  }
  for (const c of card.localCards ?? []) aliases.add(c.split('/').pop()!.replace(/\.(ya?ml|json)$/i, ''));
  aliases.delete(card.name);
  const c = card.citation;
  return {
    name: card.name,
    aliases: [...aliases],
    organisation: card.organisation,
    architecture: card.architecture,
    ...(card.released.value ? { releaseDate: card.released.value } : {}),
    ...(card.params.value ? { params: card.params.value } : {}),
    pretrainingData: `${card.pretraining.data} — ${card.pretraining.method}`,
    ...(card.pretraining.images.value ? { pretrainingImages: card.pretraining.images.value } : {}),
    ...(card.licence.value ? { licence: card.licence.note ? `${card.licence.value} (${card.licence.note})` : card.licence.value } : {}),
    ...(verdict.licenceClass ? { licenceClass: verdict.licenceClass } : {}),
    citation: `${c.title}. ${c.venue} ${c.year}.${c.arxiv ? ` arXiv:${c.arxiv}` : ''}`,
    ...(c.arxiv ? { url: `https://arxiv.org/abs/${c.arxiv}` } : card.hubId ? { url: `https://huggingface.co/${card.hubId}` } : {}),
    ...(card.featureReadout ? { summary: `Frozen feature: ${card.featureReadout}.` } : {}),
    openness: {
      class: verdict.class,
      score: verdict.score,
      rule,
      ...(verdict.usability !== undefined ? { usability: verdict.usability } : {}),
      ...(verdict.reproducibility !== undefined ? { reproducibility: verdict.reproducibility } : {}),
    },
  };
}

/**
 * Pair cards with the model names seen in results: a card takes the result name equal to its
 * name or an alias (exact first, then case-insensitive); an unmatched card keeps its own name.
 */
export function matchCatalogEntries(cards: readonly SiteCatalogEntry[], resultModels: readonly string[]): Map<string, SiteCatalogEntry> {
  const out = new Map<string, SiteCatalogEntry>();
  const lower = new Map(resultModels.map((m) => [m.toLowerCase(), m]));
  for (const card of cards) {
    const names = [card.name, ...(card.aliases ?? [])];
    const hit = names.find((n) => resultModels.includes(n)) ?? names.map((n) => lower.get(n.toLowerCase())).find((m) => m !== undefined);
    const key = hit ?? card.name;
    if (!out.has(key)) out.set(key, card);
  }
  return out;
}
