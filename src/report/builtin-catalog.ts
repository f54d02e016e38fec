import { assessOpenness, licenceClass, listCatalog, opennessSubscores } from '../models/catalog/index.js';
import { siteEntryFromCatalog, type SiteCatalogEntry } from './catalog.js';

/** medprobe's own model catalog (src/models/catalog) as site catalog entries: pass as `buildSite({ catalog })`. */
export function builtinSiteCatalog(): SiteCatalogEntry[] {
  return listCatalog().map((c) =>
    siteEntryFromCatalog(c, { ...assessOpenness(c.openness), ...opennessSubscores(c.openness), licenceClass: licenceClass(c.licence.value) }),
  );
}
