/**
 * Vietnam's administrative units at a date: 63 provinces with districts and communes until
 * 30 June 2025, 34 provinces and 3,321 communes without districts from 1 July 2025, and the
 * official old-to-new conversion between them.
 *
 * Commune codes are reused between the eras (the old Phường Trúc Bạch and the new Phường Ba
 * Đình are both 00004), so a code means something only together with a date.
 * The data is built by scripts/build-admin-units.ts into assets/admin-units/.
 */
import { readFileSync } from 'node:fs';
import { foldName } from '../shared/vietnamese-text.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';

/** The first day of the 2025 units; the old units were in force until the day before. */
export const REFORM_DATE = '2025-07-01';
/** The last day of the old (63-province, district-level) units. */
export const LAST_DAY_BEFORE_REFORM = '2025-06-30';

/** Which set of units: the old one (until 2025-06-30) or the 2025 one (from 2025-07-01). */
export type Era = 'pre-2025' | '2025';
export type ProvinceType = 'tỉnh' | 'thành phố trung ương';
/**
 * The level of a unit at commune level. 'huyện' is one of five island districts that had no
 * communes before 2025 (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo): their code is the
 * 3-digit district code. They became special zones ('đặc khu') in 2025.
 */
export type CommuneLevel = 'xã' | 'phường' | 'thị trấn' | 'đặc khu' | 'huyện';
/**
 * What the official tables leave uncertain about an old unit:
 * - 'formed-after-2021-catalog': in force on 2025-06-30 but formed after the 2021 catalog
 *   (known only from the conversion table); validFrom is unknown.
 * - 'ended-before-reform': in the 2021 catalog but absent from the conversion, because an
 *   earlier 2023–2025 reorganisation ended it on a date the tables do not give; validTo is then
 *   only an upper bound and the unit has no official successor.
 */
export type UnitCaveat = 'formed-after-2021-catalog' | 'ended-before-reform';

export interface Province {
  /** 2-digit statistics code ('01' Hà Nội). Reused across eras: '44' is Quảng Bình before and Quảng Trị after. */
  readonly code: string;
  /** The code as the personal ID number writes it ('001'). */
  readonly idCode: string;
  readonly name: string;
  readonly type: ProvinceType;
  readonly era: Era;
  /** First day in force; null when unknown or earlier than these tables. */
  readonly validFrom: string | null;
  /** Last day in force; null while in force. */
  readonly validTo: string | null;
}

export interface Commune {
  /** 5-digit code (3-digit for the five commune-less island districts before 2025). */
  readonly code: string;
  readonly name: string;
  readonly level: CommuneLevel;
  readonly era: Era;
  readonly provinceCode: string;
  readonly provinceName: string;
  /** The district before 2025; null from 2025-07-01 (no district level). */
  readonly districtCode: string | null;
  readonly districtName: string | null;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly caveat: UnitCaveat | null;
}

export type MergeKind = 'whole' | 'partial';

/** A unit of today that (part of) a recorded unit now belongs to. */
export interface Successor {
  readonly commune: Commune;
  /** 'partial' when the old unit was split between several new ones. */
  readonly merge: MergeKind;
  /** True when the whole population of the old unit went to this one (always for a whole merge; for a partial one where the official note says so). */
  readonly allPopulation: boolean;
}

export interface Resolution {
  /** The unit the code meant on the recorded date. */
  readonly recorded: Commune;
  /** Today's unit(s): one for a whole merge, several for a split. */
  readonly current: readonly Successor[];
  /** False when the recorded unit still stands under the same code, name and province (an address then only loses its district). */
  readonly changed: boolean;
  readonly recordedOn: string;
  readonly today: string;
}

export interface AdminUnitCatalog {
  /** The (pre-2025) province of a personal ID number's first 3 digits; IDs keep that code forever. */
  idProvince(ppp: string): Province | undefined;
  /** The provinces in force on a date: 63 before 2025-07-01, 34 from it. */
  provinces(on: string): readonly Province[];
  /** A province in force on a date; throws ADMIN_UNIT_UNKNOWN / ADMIN_UNIT_EXPIRED / ADMIN_UNIT_NOT_YET_IN_FORCE. */
  province(code: string, on: string): Province;
  /** The communes of a province (2-digit code) on a date, by code. */
  communesOf(provinceCode: string, on: string): readonly Commune[];
  /** The commune a code means on a date; throws like province(). */
  commune(code: string, on: string): Commune;
  /** Like commune() but undefined when the code means nothing on that date (still throws DATE_INVALID). */
  findCommune(code: string, on: string): Commune | undefined;
  /** What a code recorded on a date means today; today defaults to today's date in Vietnam. */
  resolve(code: string, recordedOn: string, today?: string): Resolution;
  /** All 3,321 communes in force from 2025-07-01, by code. */
  communes2025(): readonly Commune[];
  /** The 2025 province of a 2025 commune; throws ADMIN_UNIT_UNKNOWN for a code that is not one. */
  province2025Of(communeCode: string): Province;
}

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;
/** The last date checkIsoDate found valid. */
let lastIsoDate = '';

/**
 * Checks a calendar date written YYYY-MM-DD; throws DomainError 'invalid' DATE_INVALID otherwise.
 *
 * @example
 * checkIsoDate('2025-02-28') // '2025-02-28'
 * checkIsoDate('2025-02-30') // throws DATE_INVALID
 */
export function checkIsoDate(value: string, what = 'date'): string {
  // Most calls in a batch ask about the same day (the day a batch's communes are checked on).
  if (value === lastIsoDate) return value;
  const match = isoDate.exec(value);
  if (match) {
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const date = new Date(Date.UTC(year, month - 1, day));
    if (year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day) {
      lastIsoDate = value;
      return value;
    }
  }
  throw new DomainError('invalid', 'DATE_INVALID', `The ${what} "${value}" is not a calendar date`, 'Write the date as YYYY-MM-DD, e.g. 2025-07-01');
}

/** The era of the units in force on a date (checked). */
export function eraOn(date: string): Era {
  return checkIsoDate(date) >= REFORM_DATE ? '2025' : 'pre-2025';
}

const vietnamDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' });

/** Today's date in Vietnam (UTC+7), YYYY-MM-DD: the date that decides which units are in force. */
export function todayInVietnam(clock: Clock = systemClock): string {
  return vietnamDate.format(clock.now());
}

const levels: Readonly<Record<string, CommuneLevel>> = { x: 'xã', p: 'phường', t: 'thị trấn', d: 'đặc khu', h: 'huyện' };
const provinceTypes: Readonly<Record<string, ProvinceType>> = { tinh: 'tỉnh', tptw: 'thành phố trung ương' };
const caveats: Readonly<Record<string, UnitCaveat | null>> = { '': null, L: 'formed-after-2021-catalog', E: 'ended-before-reform' };

const assetFiles = {
  provinces: { url: new URL('../../assets/admin-units/provinces.tsv', import.meta.url), header: 'era\tcode\ttype\tname' },
  districts: { url: new URL('../../assets/admin-units/districts.tsv', import.meta.url), header: 'code\tprovince\tname' },
  communes2021: { url: new URL('../../assets/admin-units/communes-2021.tsv', import.meta.url), header: 'code\tdistrict\tlevel\tcaveat\tname' },
  communes2025: { url: new URL('../../assets/admin-units/communes-2025.tsv', import.meta.url), header: 'code\tprovince\tlevel\tname' },
  conversion: { url: new URL('../../assets/admin-units/conversion.tsv', import.meta.url), header: 'old\tnew\tmerge' },
} as const;

function broken(what: string): DomainError {
  return new DomainError('unavailable', 'ADMIN_UNITS_UNAVAILABLE', `The administrative-unit tables are damaged: ${what}`,
    'Rebuild them with `npx tsx scripts/build-admin-units.ts` and deploy the assets/admin-units folder');
}

function readTsv(file: keyof typeof assetFiles, columns: number): (readonly string[])[] {
  const { url, header } = assetFiles[file];
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch {
    throw broken(`${file} cannot be read`);
  }
  const lines = text.split('\n').filter((line) => line !== '');
  if (lines[0] !== header) throw broken(`${file} has an unexpected header`);
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    if (cells.length !== columns) throw broken(`${file} has a row with ${cells.length} columns`);
    return cells;
  });
}

function cell<T>(map: Readonly<Record<string, T>>, key: string, file: string): T {
  const value = map[key];
  if (value === undefined) throw broken(`${file} has an unknown value "${key}"`);
  return value;
}

function describe(c: Commune): string {
  return [c.name, c.districtName, c.provinceName].filter((part) => part !== null).join(', ');
}

function inForce(unit: { readonly validFrom: string | null; readonly validTo: string | null }): string {
  if (unit.validFrom !== null && unit.validTo === null) return `from ${unit.validFrom}`;
  if (unit.validFrom === null && unit.validTo !== null) return `until ${unit.validTo}`;
  return `from ${unit.validFrom ?? 'an unknown date'} until ${unit.validTo ?? 'today'}`;
}

function notInForce(kind: 'commune' | 'province', code: string, on: string, description: string, unit: Province | Commune): DomainError {
  const later = unit.validFrom !== null && on < unit.validFrom;
  return later
    ? new DomainError('invalid', 'ADMIN_UNIT_NOT_YET_IN_FORCE',
      `The ${kind} code ${code} (${description}) is in force ${inForce(unit)}, not yet on ${on}; on that date the code meant nothing`,
      `Use the unit code that was in force on ${on}, or check the date`)
    : new DomainError('invalid', 'ADMIN_UNIT_EXPIRED',
      `The ${kind} code ${code} (${description}) was in force ${inForce(unit)}; on ${on} it is no longer a unit`,
      `Resolve it to today's unit (admin-units resolve, with the date it was recorded) and use that code`);
}

function unknown(kind: 'commune' | 'province', code: string): DomainError {
  return new DomainError('invalid', 'ADMIN_UNIT_UNKNOWN', `No ${kind} in the official tables (before or since 2025-07-01) has the code "${code}"`,
    kind === 'commune'
      ? 'Check the code: communes have 5 digits; list them with the admin-units communes of a province'
      : 'Check the code: provinces have 2 digits (01 Hà Nội … 96 Cà Mau); list them with the admin-units provinces');
}

interface ByEra<T> { readonly '2025': T; readonly 'pre-2025': T }

function load(): AdminUnitCatalog {
  const provincesByEra: ByEra<Map<string, Province>> = { 'pre-2025': new Map(), '2025': new Map() };
  for (const [era, code, type, name] of readTsv('provinces', 4) as [string, string, string, string][]) {
    const e: Era = era === '2025' ? '2025' : 'pre-2025';
    provincesByEra[e].set(code, Object.freeze({
      code, idCode: `0${code}`, name, type: cell(provinceTypes, type, 'provinces'), era: e,
      validFrom: e === '2025' ? REFORM_DATE : null, validTo: e === '2025' ? null : LAST_DAY_BEFORE_REFORM,
    }));
  }
  const districts = new Map<string, { readonly province: Province; readonly name: string }>();
  for (const [code, provinceCode, name] of readTsv('districts', 3) as [string, string, string][]) {
    const province = provincesByEra['pre-2025'].get(provinceCode);
    if (province === undefined) throw broken(`district ${code} is in an unknown province`);
    districts.set(code, { province, name });
  }
  const communesByEra: ByEra<Map<string, Commune>> = { 'pre-2025': new Map(), '2025': new Map() };
  for (const [code, districtCode, level, caveat, name] of readTsv('communes2021', 5) as [string, string, string, string, string][]) {
    const district = districts.get(districtCode);
    if (district === undefined) throw broken(`commune ${code} is in an unknown district`);
    communesByEra['pre-2025'].set(code, Object.freeze({
      code, name, level: cell(levels, level, 'communes-2021'), era: 'pre-2025',
      provinceCode: district.province.code, provinceName: district.province.name, districtCode, districtName: district.name,
      validFrom: null, validTo: LAST_DAY_BEFORE_REFORM, caveat: cell(caveats, caveat, 'communes-2021'),
    }));
  }
  for (const [code, provinceCode, level, name] of readTsv('communes2025', 4) as [string, string, string, string][]) {
    const province = provincesByEra['2025'].get(provinceCode);
    if (province === undefined) throw broken(`commune ${code} is in an unknown province`);
    communesByEra['2025'].set(code, Object.freeze({
      code, name, level: cell(levels, level, 'communes-2025'), era: '2025',
      provinceCode, provinceName: province.name, districtCode: null, districtName: null,
      validFrom: REFORM_DATE, validTo: null, caveat: null,
    }));
  }
  const successors = new Map<string, Successor[]>();
  for (const [oldCode, newCode, merge] of readTsv('conversion', 3) as [string, string, string][]) {
    const commune = communesByEra['2025'].get(newCode);
    if (commune === undefined || !communesByEra['pre-2025'].has(oldCode)) throw broken(`conversion ${oldCode} → ${newCode} names an unknown unit`);
    const list = successors.get(oldCode) ?? [];
    list.push(Object.freeze({ commune, merge: merge === 'W' ? 'whole' : 'partial', allPopulation: merge !== 'P' }));
    successors.set(oldCode, list);
  }

  const byCode = (a: { readonly code: string }, b: { readonly code: string }): number => a.code.localeCompare(b.code);
  const provinceLists: ByEra<readonly Province[]> = {
    'pre-2025': Object.freeze([...provincesByEra['pre-2025'].values()].sort(byCode)),
    '2025': Object.freeze([...provincesByEra['2025'].values()].sort(byCode)),
  };
  const communeLists: ByEra<Map<string, readonly Commune[]>> = { 'pre-2025': new Map(), '2025': new Map() };
  for (const era of ['pre-2025', '2025'] as const) {
    const grouped = new Map<string, Commune[]>();
    for (const c of communesByEra[era].values()) grouped.set(c.provinceCode, [...(grouped.get(c.provinceCode) ?? []), c]);
    for (const [code, list] of grouped) communeLists[era].set(code, Object.freeze(list.sort(byCode)));
  }
  const all2025 = Object.freeze([...communesByEra['2025'].values()].sort(byCode));
  const otherEra = (era: Era): Era => (era === '2025' ? 'pre-2025' : '2025');

  const province = (code: string, on: string): Province => {
    const era = eraOn(on);
    const found = provincesByEra[era].get(code);
    if (found) return found;
    const other = provincesByEra[otherEra(era)].get(code);
    if (other) throw notInForce('province', code, on, other.name, other);
    throw unknown('province', code);
  };
  const findCommune = (code: string, on: string): Commune | undefined => communesByEra[eraOn(on)].get(code);
  const commune = (code: string, on: string): Commune => {
    const era = eraOn(on);
    const found = communesByEra[era].get(code);
    if (found) return found;
    const other = communesByEra[otherEra(era)].get(code);
    if (other) throw notInForce('commune', code, on, describe(other), other);
    throw unknown('commune', code);
  };

  return {
    idProvince: (ppp) => (/^0\d{2}$/.test(ppp) ? provincesByEra['pre-2025'].get(ppp.slice(1)) : undefined),
    provinces: (on) => provinceLists[eraOn(on)],
    province,
    communesOf: (provinceCode, on) => {
      const found = province(provinceCode, on);
      return communeLists[found.era].get(found.code) ?? [];
    },
    commune,
    findCommune,
    resolve: (code, recordedOn, today = todayInVietnam()) => {
      checkIsoDate(recordedOn, 'recorded date');
      checkIsoDate(today, "today's date");
      if (today < recordedOn) {
        throw new DomainError('invalid', 'DATE_RANGE_INVALID', `The recorded date ${recordedOn} is after today (${today})`, 'Give the date on which the unit was recorded, not a future date');
      }
      const recorded = commune(code, recordedOn);
      if (recorded.era === eraOn(today)) {
        return { recorded, current: [{ commune: recorded, merge: 'whole', allPopulation: true }], changed: false, recordedOn, today };
      }
      const current = successors.get(recorded.code);
      if (current === undefined) {
        throw new DomainError('not_found', 'ADMIN_UNIT_NO_SUCCESSOR',
          `${describe(recorded)} (${recorded.code}) ended in a reorganisation before ${REFORM_DATE}; the official conversion has no successor for it`,
          'Find the present commune from the street address and record it with its 2025 code');
      }
      const [only] = current;
      const changed = !(current.length === 1 && only !== undefined && only.commune.code === recorded.code
        && foldName(only.commune.name) === foldName(recorded.name)
        && only.commune.provinceCode === recorded.provinceCode && foldName(only.commune.provinceName) === foldName(recorded.provinceName));
      return { recorded, current, changed, recordedOn, today };
    },
    communes2025: () => all2025,
    province2025Of: (communeCode) => {
      const found = communesByEra['2025'].get(communeCode);
      if (found === undefined) throw unknown('commune', communeCode);
      return province(found.provinceCode, REFORM_DATE);
    },
  };
}

let catalog: AdminUnitCatalog | undefined;

/**
 * The administrative-unit catalog, loaded once on first use from assets/admin-units/.
 *
 * @example
 * const units = adminUnitCatalog();
 * units.idProvince('079')?.name;                  // 'Thành phố Hồ Chí Minh'
 * units.provinces('2025-07-01').length;           // 34
 * units.commune('00004', '2024-01-01').name;      // 'Phường Trúc Bạch'
 * units.commune('00004', '2025-07-01').name;      // 'Phường Ba Đình'
 * units.resolve('00013', '2020-05-01', '2025-08-01').current[0]?.commune.name; // 'Phường Ba Đình'
 */
export function adminUnitCatalog(): AdminUnitCatalog {
  catalog ??= load();
  return catalog;
}
