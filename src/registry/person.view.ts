import { adminUnitCatalog, LAST_DAY_BEFORE_REFORM } from './admin-unit.catalog.js';
import type { PersonRecord } from './person.types.js';
import type { PersonSummary, PersonView } from './person.schemas.js';

/**
 * Names a commune code for display: the unit in force on `on`, else the pre-2025 unit of that
 * code (a record not yet converted); a code no catalog knows is shown without a name.
 */
export function describeCommune(code: string, on: string): CommuneNames {
  // The catalog never changes while running; names are looked up once per code and date.
  const key = `${code}@${on}`;
  let names = communeNames.get(key);
  if (names === undefined) {
    const catalog = adminUnitCatalog();
    const c = catalog.findCommune(code, on) ?? catalog.findCommune(code, LAST_DAY_BEFORE_REFORM);
    names = c === undefined ? { name: null, provinceName: null } : { name: c.name, provinceName: c.provinceName };
    if (communeNames.size > 50_000) communeNames.clear();
    communeNames.set(key, names);
  }
  return names;
}

interface CommuneNames {
  readonly name: string | null;
  readonly provinceName: string | null;
}
const communeNames = new Map<string, CommuneNames>();

function residence(code: string | null, address: string | null, on: string): PersonView['currentResidence'] {
  if (code === null) return null;
  const d = describeCommune(code, on);
  return { communeCode: code, communeName: d.name, provinceName: d.provinceName, address };
}

/** The API's view of a person record, with unit names resolved at `on`. */
export function toPersonView(p: PersonRecord, on: string): PersonView {
  return {
    idNumber: p.idNumber,
    fullName: p.fullName,
    birthDate: p.birthDate,
    sex: p.sex,
    ethnicity: p.ethnicity,
    religion: p.religion,
    nationality: p.nationality,
    birthProvince: { code: p.birthProvince, name: adminUnitCatalog().idProvince(p.birthProvince)?.name ?? null },
    hometown: p.hometown,
    permanentResidence: residence(p.permanentCommune, p.permanentAddress, on),
    temporaryResidence: residence(p.temporaryCommune, p.temporaryAddress, on),
    currentResidence: residence(p.currentCommune, p.currentAddress, on),
    fatherId: p.fatherId,
    motherId: p.motherId,
    spouseId: p.spouseId,
    householdId: p.householdId,
    relationshipToHead: p.relationshipToHead,
    status: p.status,
    deathDate: p.deathDate,
    version: p.version,
    updatedAt: p.updatedAt,
  };
}

export function toPersonSummary(p: PersonRecord, on: string): PersonSummary {
  const current = p.currentCommune ?? p.permanentCommune;
  return {
    idNumber: p.idNumber,
    fullName: p.fullName,
    birthDate: p.birthDate,
    sex: p.sex,
    status: p.status,
    currentCommune: current === null ? null : { code: current, ...describeCommune(current, on) },
  };
}
