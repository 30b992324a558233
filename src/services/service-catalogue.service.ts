import { foldName } from '../shared/vietnamese-text.js';
import { serviceCatalogueData, type CatalogueEntry } from './service-catalogue.data.js';

/**
 * The catalogue of the 53 essential public services (service-catalogue.data.ts): listed and
 * searched by name (marks optional) or agency. Not personal data.
 */
export class ServiceCatalogueService {
  private readonly folded = serviceCatalogueData.map((e) => ({ entry: e, text: foldName(`${e.name} ${e.nameEn} ${e.agency}`) }));

  list(query: { readonly q?: string | undefined; readonly linkedOnly?: boolean | undefined } = {}): readonly CatalogueEntry[] {
    const words = query.q === undefined ? [] : foldName(query.q).split(' ').filter((w) => w !== '');
    return this.folded
      .filter(({ entry, text }) => (query.linkedOnly !== true || entry.linkedProcedure !== null) && words.every((w) => text.includes(w)))
      .map(({ entry }) => entry);
  }

  /** How many services read each registry field instead of paper: the case for keeping it live. */
  fieldUse(): Readonly<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const e of serviceCatalogueData) for (const f of e.reads) counts[f] = (counts[f] ?? 0) + 1;
    return counts;
  }
}
