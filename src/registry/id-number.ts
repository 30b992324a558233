import { DomainError } from '../shared/domain-error.js';
import { adminUnitCatalog } from './admin-unit.catalog.js';
import { parsePartialDate } from './partial-date.js';
import type { Sex } from './person.types.js';

/**
 * The personal ID number, 12 digits `PPP G YY RRRRRR` (Decree 137/2015 Art. 13, Circular 59/2021/TT-BCA):
 * PPP the province of birth registration, G century and sex, YY the year of birth, RRRRRR random.
 */
export interface DecodedIdNumber {
  readonly idNumber: string;
  /** 3-digit province code of birth registration. */
  readonly provinceCode: string;
  readonly provinceName: string;
  readonly sex: Sex;
  readonly birthYear: number;
  readonly serial: string;
}

const twelveDigits = /^\d{12}$/;

/** First year of the century that each G digit pair stands for (0/1 → 1900 … 8/9 → 2300). */
function centuryOf(g: number): number {
  return 1900 + Math.floor(g / 2) * 100;
}

/**
 * Decodes and checks an ID number on its own: 12 digits, a known province, a year of birth
 * not in the future.
 *
 * @example
 * decodeIdNumber('079203012345') // { provinceCode: '079', provinceName: 'Thành phố Hồ Chí Minh', sex: 'M', birthYear: 2003, ... }
 */
export function decodeIdNumber(value: string, today: Date = new Date()): DecodedIdNumber {
  if (!twelveDigits.test(value)) {
    const digits = value.replace(/\D/g, '').length;
    throw new DomainError(
      'invalid',
      'ID_NUMBER_MALFORMED',
      value.length === 9 && /^\d{9}$/.test(value)
        ? 'this is a 9-digit identity card number, not a 12-digit personal ID number'
        : `a personal ID number has exactly 12 digits; this one has ${value.length} characters of which ${digits} are digits`,
      'Copy the 12-digit number from the citizen identity card or VNeID, without spaces',
    );
  }
  const provinceCode = value.slice(0, 3);
  const province = adminUnitCatalog().idProvince(provinceCode);
  if (province === undefined) {
    throw new DomainError(
      'invalid',
      'ID_PROVINCE_UNKNOWN',
      `the first three digits ${provinceCode} are not the code of a province of birth registration`,
      'Check the first three digits; they are 001 (Hà Nội) to 096 (Cà Mau)',
    );
  }
  const g = Number(value[3]);
  const birthYear = centuryOf(g) + Number(value.slice(4, 6));
  if (birthYear > today.getUTCFullYear()) {
    throw new DomainError(
      'invalid',
      'ID_BIRTH_YEAR_FUTURE',
      `digits 4-6 (${value.slice(3, 6)}) give a year of birth ${birthYear}, which is in the future`,
      'Check the century digit (0/1 for 1900s, 2/3 for 2000s) and the two year digits',
    );
  }
  return {
    idNumber: value,
    provinceCode,
    provinceName: province.name,
    sex: g % 2 === 0 ? 'M' : 'F',
    birthYear,
    serial: value.slice(6),
  };
}

/** What the registry knows about a person, to check their ID number against. */
export interface IdHolderFacts {
  readonly birthDate: string;
  readonly sex: Sex;
  readonly birthProvince?: string;
}

export interface IdInconsistency {
  readonly code: 'ID_SEX_MISMATCH' | 'ID_BIRTH_YEAR_MISMATCH' | 'ID_PROVINCE_MISMATCH';
  readonly message: string;
}

/** Lists how an ID number disagrees with the holder's sex, year of birth and birth province. */
export function idInconsistencies(decoded: DecodedIdNumber, holder: IdHolderFacts): readonly IdInconsistency[] {
  const found: IdInconsistency[] = [];
  if (decoded.sex !== holder.sex) {
    found.push({ code: 'ID_SEX_MISMATCH', message: `digit 4 says ${decoded.sex === 'M' ? 'male' : 'female'} but the record says ${holder.sex === 'M' ? 'male' : 'female'}` });
  }
  const year = parsePartialDate(holder.birthDate, 'birthDate').year;
  if (decoded.birthYear !== year) {
    found.push({ code: 'ID_BIRTH_YEAR_MISMATCH', message: `digits 4-6 say born in ${decoded.birthYear} but the date of birth is in ${year}` });
  }
  if (holder.birthProvince !== undefined && holder.birthProvince !== decoded.provinceCode) {
    found.push({ code: 'ID_PROVINCE_MISMATCH', message: `digits 1-3 say birth registered in province ${decoded.provinceCode} but the record says ${holder.birthProvince}` });
  }
  return found;
}

/** Decodes the number and throws the first inconsistency with the holder's facts. */
export function assertIdConsistent(idNumber: string, holder: IdHolderFacts, today?: Date): DecodedIdNumber {
  const decoded = decodeIdNumber(idNumber, today);
  const [first, ...rest] = idInconsistencies(decoded, holder);
  if (first !== undefined) {
    throw new DomainError('invalid', first.code, `ID number ${idNumber} is inconsistent: ${[first, ...rest].map((i) => i.message).join('; ')}`, 'Correct the ID number or the date of birth, sex or birth province so that they agree', { inconsistencies: [first, ...rest] });
  }
  return decoded;
}

/**
 * The first six digits for a holder: province, century/sex digit and year.
 *
 * @example
 * idPrefix('079', 'F', 2003) // '079303'
 */
export function idPrefix(provinceCode: string, sex: Sex, birthYear: number): string {
  if (birthYear < 1900 || birthYear > 2399) {
    throw new DomainError('invalid', 'ID_BIRTH_YEAR_OUT_OF_RANGE', `no century digit exists for year ${birthYear}`, 'ID numbers cover years 1900-2399');
  }
  const g = Math.floor((birthYear - 1900) / 100) * 2 + (sex === 'F' ? 1 : 0);
  return `${provinceCode}${g}${String(birthYear % 100).padStart(2, '0')}`;
}

/** Source of the six random digits; injected so issuance is deterministic in tests and the generator. */
export type SerialSource = () => number;

export const randomSerial: SerialSource = () => Math.floor(Math.random() * 1_000_000);

/**
 * Issues a new ID number that was never issued before. `isIssued` asks the registry; the loop is
 * bounded so that an exhausted prefix (a million numbers) fails loudly instead of spinning.
 */
export async function issueIdNumber(
  holder: { readonly birthProvince: string; readonly sex: Sex; readonly birthYear: number },
  isIssued: (idNumber: string) => Promise<boolean>,
  serial: SerialSource = randomSerial,
): Promise<string> {
  const prefix = idPrefix(holder.birthProvince, holder.sex, holder.birthYear);
  if (adminUnitCatalog().idProvince(holder.birthProvince) === undefined) {
    throw new DomainError('invalid', 'ID_PROVINCE_UNKNOWN', `${holder.birthProvince} is not a province code of birth registration`, 'Use the 3-digit code of the province (001-096)');
  }
  for (let attempt = 0; attempt < 64; attempt++) {
    const candidate = prefix + String(serial() % 1_000_000).padStart(6, '0');
    if (!(await isIssued(candidate))) return candidate;
  }
  throw new DomainError('unavailable', 'ID_SERIALS_EXHAUSTED', `no free ID number found for prefix ${prefix} after 64 tries`, 'Report to the registry operators: this prefix is nearly full');
}
