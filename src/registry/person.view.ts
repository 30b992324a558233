import { adminUnitCatalog, LAST_DAY_BEFORE_REFORM } from './admin-unit.catalog.js';
import type { PersonRecord } from './person.types.js';
import type { PersonSummary, PersonView } from './person.schemas.js';

/**
 * Names a commune code for display: the unit in force on `on`, else the pre-2025 unit of that
 * code (a record not yet converted); a code no catalog knows is shown without a name.
 */
export function describeCommune(code: string, on: string): CommuneNames {
  // The catalog never changes while running; names are looked up once per date and code, through
  // the map of the last date asked for (nearly always today's) without building a key.
  if (on !== namesOn) {
    namesOn = on;
    namesOfDay = communeNames.get(on) ?? new Map<string, CommuneNames>();
    if (communeNames.size > 1_000) communeNames.clear();
    communeNames.set(on, namesOfDay);
  }
  let names = namesOfDay.get(code);
  if (names === undefined) {
    const catalog = adminUnitCatalog();
    const c = catalog.findCommune(code, on) ?? catalog.findCommune(code, LAST_DAY_BEFORE_REFORM);
    names = c === undefined ? { name: null, provinceName: null } : { name: c.name, provinceName: c.provinceName };
    if (namesOfDay.size > 50_000) namesOfDay.clear();
    namesOfDay.set(code, names);
  }
  return names;
}

interface CommuneNames {
  readonly name: string | null;
  readonly provinceName: string | null;
}
const communeNames = new Map<string, Map<string, CommuneNames>>();
let namesOn = '';
let namesOfDay = new Map<string, CommuneNames>();

// Province names of ID-number prefixes: a few dozen, never changing.
const provinceNames = new Map<string, string | null>();
function provinceName(code: string): string | null {
  let name = provinceNames.get(code);
  if (name === undefined) {
    name = adminUnitCatalog().idProvince(code)?.name ?? null;
    if (provinceNames.size < 10_000) provinceNames.set(code, name);
  }
  return name;
}

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
    birthProvince: { code: p.birthProvince, name: provinceName(p.birthProvince) },
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
