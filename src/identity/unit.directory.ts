import { adminUnitCatalog, REFORM_DATE, type AdminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { identityErrors } from './identity.errors.js';
import type { Unit } from './authorization.policy.js';

/** What the identity services need to know about 2025 units. */
export interface UnitDirectory {
  /** The 2-digit 2025 province of a 5-digit 2025 commune; undefined if the code is not one. */
  provinceOfCommune(code: string): string | undefined;
  provinceExists(code: string): boolean;
}

/** A unit as an administrator names it; the service fills in a commune's province. */
export type UnitInput = { readonly level: 'nation' } | { readonly level: 'province' | 'commune'; readonly code: string };

/** The 2025 units of the registry's catalog. */
export function catalogUnitDirectory(catalog: AdminUnitCatalog = adminUnitCatalog()): UnitDirectory {
  const provinces = new Set(catalog.provinces(REFORM_DATE).map((p) => p.code));
  const communes = new Map(catalog.communes2025().map((c) => [c.code, c.provinceCode]));
  return { provinceOfCommune: (code) => communes.get(code), provinceExists: (code) => provinces.has(code) };
}

/**
 * Checks a unit against the 2025 units: a commune has 5 digits and exists, a province 2 digits.
 * Throws 'invalid' UNIT_INVALID.
 *
 * @example
 * resolveUnit({ level: 'commune', code: '00004' }, directory); // { level: 'commune', code: '00004', province: '01' }
 */
export function resolveUnit(input: UnitInput, directory: UnitDirectory): Unit {
  const bad = (message: string): Error => identityErrors.invalid('UNIT_INVALID', message, 'Give a 2025 unit: a 5-digit commune code, a 2-digit province code, or the nation');
  switch (input.level) {
    case 'nation':
      return { level: 'nation' };
    case 'province':
      if (!/^\d{2}$/.test(input.code) || !directory.provinceExists(input.code)) throw bad('The province code is not a 2025 province');
      return { level: 'province', code: input.code };
    case 'commune': {
      const province = /^\d{5}$/.test(input.code) ? directory.provinceOfCommune(input.code) : undefined;
      if (province === undefined) throw bad('The commune code is not a 2025 commune');
      return { level: 'commune', code: input.code, province };
    }
  }
}
