import { assessOpenness, listCatalog } from '../models/catalog/index.js';
import { siteCardFromCatalog, type SiteModelCard } from './catalog.js';

/** medprobe's own model catalog (src/models/catalog) as site cards: pass as `buildSite({ catalog })`. */
export function builtinSiteCatalog(): SiteModelCard[] {
  return listCatalog().map((c) => siteCardFromCatalog(c, assessOpenness(c.openness)));
}
