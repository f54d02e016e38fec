import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { MedprobeError } from '../../util/errors.js';
import { closeMatches } from '../../util/close-matches.js';
import { hubModelDir, HUB_MANIFEST } from '../hub-pull.js';
import { CATALOG_CARDS } from './cards.js';
import { assessOpenness, type OpennessAssessment } from './openness.js';
import { CatalogCardSchema, type CatalogCard } from './schema.js';

export * from './schema.js';
export * from './openness.js';

/** The package root, where `localCards` paths are resolved (src/models/catalog → ../../..). */
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

let validated: readonly CatalogCard[] | undefined;

/** Every catalog card, validated against the schema once (a bad card is a bug in medprobe, so it throws). */
export function listCatalog(): readonly CatalogCard[] {
  if (!validated) {
    const seen = new Set<string>();
    validated = CATALOG_CARDS.map((c) => {
      const r = CatalogCardSchema.safeParse(c);
      if (!r.success) throw new Error(`catalog card ${c.id}: ${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`);
      if (seen.has(c.id)) throw new Error(`catalog card id ${c.id} repeats`);
      seen.add(c.id);
      return r.data;
    });
  }
  return validated;
}

export function getCatalogCard(id: string): CatalogCard {
  const card = listCatalog().find((c) => c.id === id);
  if (card) return card;
  const ids = listCatalog().map((c) => c.id);
  throw new MedprobeError(`no model '${id}' in the catalog`, { hint: `close matches: ${closeMatches(id, ids, 4).join(', ')} (medprobe models list shows all)` });
}

/** A catalog model runnable on this machine: a shipped card (absolute path) or a pulled hub folder; undefined when neither is here. */
export function localModelSource(card: CatalogCard, opts: { cacheDir?: string } = {}): { card: string } | { hub: string } | undefined {
  for (const c of card.localCards ?? []) {
    const p = path.join(PACKAGE_ROOT, c);
    if (existsSync(p) && modelOfCardExists(p)) return { card: p };
  }
  for (const id of [...(card.onnxHubIds ?? []), ...(card.hubId ? [card.hubId] : [])]) {
    const dir = hubModelDir(id, { cacheDir: opts.cacheDir });
    if (existsSync(path.join(dir, HUB_MANIFEST))) return { hub: dir };
  }
  return undefined;
}

/** Where a catalog model can already be run from on this machine, if anywhere (a package-relative card path or a hub folder). */
export function localAvailability(card: CatalogCard, opts: { cacheDir?: string } = {}): string | undefined {
  const src = localModelSource(card, opts);
  return src && ('card' in src ? path.relative(PACKAGE_ROOT, src.card) : src.hub);
}

/**
 * The catalog card a user means by `name`: its id, or one of its hub ids (`facebook/dinov2-small`,
 * `onnx-community/dinov2-small`) or such an id's last part (`dinov2-small`); undefined if none.
 */
export function findCatalogCard(name: string): CatalogCard | undefined {
  const cards = listCatalog();
  const hubIds = (c: CatalogCard) => [...(c.onnxHubIds ?? []), ...(c.hubId ? [c.hubId] : [])];
  return cards.find((c) => c.id === name) ?? cards.find((c) => hubIds(c).includes(name)) ?? cards.find((c) => hubIds(c).some((h) => h.split('/').pop() === name));
}

/** A shipped card only counts when the model file it names is present too (../shared may be absent). */
function modelOfCardExists(cardPath: string): boolean {
  try {
    const raw = YAML.parse(readFileSync(cardPath, 'utf8')) as { file?: unknown };
    return typeof raw?.file === 'string' && existsSync(path.resolve(path.dirname(cardPath), raw.file));
  } catch {
    return false;
  }
}

export interface CatalogRow {
  id: string;
  params: number | null;
  pretrainingImages: number | null;
  licence: string | null;
  openness: OpennessAssessment;
  /** Card path or hub folder when runnable here. */
  local: string | undefined;
}

/** The rows `medprobe models list` prints. */
export function catalogRows(opts: { cacheDir?: string } = {}): CatalogRow[] {
  return listCatalog().map((c) => ({
    id: c.id,
    params: c.params.value,
    pretrainingImages: c.pretraining.images.value,
    licence: c.licence.value,
    openness: assessOpenness(c.openness),
    local: localAvailability(c, opts),
  }));
}
