/**
 * A person's ties to 2025 units, for jurisdiction (authorization.policy.ts): the communes of
 * their permanent, temporary and current residence and of their household, and the province
 * where the birth was registered (the ID number's PPP). Codes recorded before the 2025
 * reorganisation are converted through the official table (a split commune gives every
 * successor: an officer of any of them may hold the person's file).
 */
import { adminUnitCatalog, LAST_DAY_BEFORE_REFORM, type AdminUnitCatalog } from '../registry/admin-unit.catalog.js';
import type { PersonTies } from './authorization.policy.js';

/** The fields of a person (and their household) that tie them to places. */
export interface PersonPlaces {
  readonly idNumber: string;
  readonly permanentCommune: string | null;
  readonly temporaryCommune: string | null;
  readonly currentCommune: string | null;
  readonly householdCommune: string | null;
}

export interface PersonTiesResolver {
  ties(person: PersonPlaces): PersonTies;
}

/**
 * Resolves ties with the registry's unit catalog, memoising per code (there are ~13,000).
 *
 * @example
 * const resolver = personTiesResolver();
 * resolver.ties({ idNumber: '001203012345', permanentCommune: '00004', temporaryCommune: null, currentCommune: null, householdCommune: '00004' });
 * // { communes: [{ commune: '00004', province: '01' }], birthProvince: '01' }
 */
export function personTiesResolver(catalog: AdminUnitCatalog = adminUnitCatalog()): PersonTiesResolver {
  const current = new Map(catalog.communes2025().map((c) => [c.code, c.provinceCode]));
  const communeMemo = new Map<string, readonly { readonly commune: string; readonly province: string }[]>();
  const provinceMemo = new Map<string, string | undefined>();

  const communeTies = (code: string): readonly { readonly commune: string; readonly province: string }[] => {
    let found = communeMemo.get(code);
    if (found !== undefined) return found;
    const province = current.get(code);
    if (province !== undefined) found = [{ commune: code, province }];
    else {
      try {
        found = catalog.resolve(code, LAST_DAY_BEFORE_REFORM, '2025-07-01').current.map((s) => ({ commune: s.commune.code, province: s.commune.provinceCode }));
      } catch {
        found = []; // not a unit of either era: no tie
      }
    }
    communeMemo.set(code, found);
    return found;
  };

  // A pre-2025 province merged whole into one 2025 province: the successor of any of its communes names it.
  const birthProvince = (ppp: string): string | undefined => {
    if (provinceMemo.has(ppp)) return provinceMemo.get(ppp);
    let result: string | undefined;
    const old = catalog.idProvince(ppp);
    if (old !== undefined) {
      for (const commune of catalog.communesOf(old.code, LAST_DAY_BEFORE_REFORM)) {
        const [first] = communeTies(commune.code);
        if (first !== undefined) {
          result = first.province;
          break;
        }
      }
    }
    provinceMemo.set(ppp, result);
    return result;
  };

  return {
    ties(person: PersonPlaces): PersonTies {
      const seen = new Set<string>();
      const communes: { commune: string; province: string }[] = [];
      for (const code of [person.permanentCommune, person.temporaryCommune, person.currentCommune, person.householdCommune]) {
        if (code === null) continue;
        for (const tie of communeTies(code)) {
          if (seen.has(tie.commune)) continue;
          seen.add(tie.commune);
          communes.push(tie);
        }
      }
      return { communes, birthProvince: /^\d{12}$/.test(person.idNumber) ? birthProvince(person.idNumber.slice(0, 3)) : undefined };
    },
  };
}
