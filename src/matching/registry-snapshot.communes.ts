import { adminUnitCatalog, LAST_DAY_BEFORE_REFORM, REFORM_DATE } from '../registry/admin-unit.catalog.js';

let cached: readonly (readonly [string, string])[] | undefined;

/**
 * Every commune code an agency may write → the 2025 commune(s) it stands for today: 2025 codes map
 * to themselves, pre-2025 codes to their successors (several for a split). Codes were reused across
 * the reform, so one code may map to both its 2025 meaning and its old meaning's successors.
 */
export function communeCodeMap(): readonly (readonly [string, string])[] {
  if (cached !== undefined) return cached;
  const units = adminUnitCatalog();
  const pairs = new Set<string>();
  for (const c of units.communes2025()) pairs.add(`${c.code}>${c.code}`);
  for (const province of units.provinces(LAST_DAY_BEFORE_REFORM)) {
    for (const c of units.communesOf(province.code, LAST_DAY_BEFORE_REFORM)) {
      // Units that ended before the reform without an official successor map to nothing.
      if (c.caveat === 'ended-before-reform') continue;
      let successors: readonly { readonly commune: { readonly code: string } }[];
      try {
        successors = units.resolve(c.code, LAST_DAY_BEFORE_REFORM, REFORM_DATE).current;
      } catch {
        successors = [];
      }
      for (const s of successors) pairs.add(`${c.code}>${s.commune.code}`);
    }
  }
  cached = [...pairs].map((p) => p.split('>') as [string, string]);
  return cached;
}
