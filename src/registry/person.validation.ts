import { normaliseName } from '../shared/vietnamese-text.js';
import { DomainError } from '../shared/domain-error.js';
import { adminUnitCatalog } from './admin-unit.catalog.js';
import { checkFreeText } from './free-text.js';
import { earliestDay, parseFullDate, parsePartialDate } from './partial-date.js';
import { personFactKeys, type PersonFacts } from './person.types.js';

const idPattern = /^\d{12}$/;
const factKeys: ReadonlySet<string> = new Set(personFactKeys);
// Letters of any script (Vietnamese, ethnic-minority names), spaces, apostrophes and hyphens.
const namePattern = /^[\p{L}\p{M}]+(?:[ '-][\p{L}\p{M}]+)*$/u;

/** Every refusal names its field in `details.field`, so that an import can report it without the value. */
function invalid(code: string, message: string, action: string, field?: string): DomainError {
  return new DomainError('invalid', code, message, action, field === undefined ? undefined : { field });
}

/** Gives an error from a shared check (dates, admin units) the field it was about, keeping its code. */
function about<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof DomainError && error.details?.field === undefined) {
      throw new DomainError(error.kind, error.code, error.message, error.action, { ...error.details, field });
    }
    throw error;
  }
}

/** Checks one name and returns it in stored form (NFC, single spaces). */
export function validateFullName(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw invalid('NAME_MISSING', 'full name is missing', 'Give the full name: surname, middle name(s), given name', 'fullName');
  }
  // Before normalising: a TAB or line break would otherwise be folded into a space unnoticed.
  const name = normaliseName(checkFreeText(raw, 'fullName'));
  if (name.length > 100) throw invalid('NAME_TOO_LONG', `full name has ${name.length} characters; at most 100`, 'Check the name', 'fullName');
  if (!namePattern.test(name)) {
    throw invalid('NAME_INVALID', 'full name contains characters other than letters, spaces, apostrophes and hyphens', 'Remove digits and symbols; check the file encoding if letters look garbled', 'fullName');
  }
  return name;
}

function optionalText(raw: unknown, field: string, max = 200): string | null {
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof raw !== 'string') throw invalid('FIELD_INVALID', `${field} must be text`, `Correct ${field}`, field);
  const text = checkFreeText(raw, field).trim();
  if (text.length > max) throw invalid('FIELD_TOO_LONG', `${field} is longer than ${max} characters`, `Shorten ${field}`, field);
  return text === '' ? null : text;
}

function optionalId(raw: unknown, field: string): string | null {
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof raw !== 'string' || !idPattern.test(raw)) {
    throw invalid('ID_NUMBER_MALFORMED', `${field} must be a 12-digit personal ID number`, `Correct ${field}`, field);
  }
  return raw;
}

function optionalCommune(raw: unknown, field: string, on: string): string | null {
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof raw !== 'string') throw invalid('FIELD_INVALID', `${field} must be a commune code`, `Correct ${field}`, field);
  about(field, () => adminUnitCatalog().commune(raw, on));
  return raw;
}

/**
 * Validates a partial set of facts as of the date they take effect: names, dates that can be
 * true, admin units in force on that date. Returns them cleaned (NFC names, nulls for blanks).
 */
export function validateFacts(input: Readonly<Record<string, unknown>>, effectiveOn: string, today: string): Partial<PersonFacts> {
  const out: Record<string, unknown> = {};
  const has = (k: string): boolean => Object.hasOwn(input, k);
  for (const key of Object.keys(input)) {
    if (!factKeys.has(key)) {
      throw invalid('FIELD_UNKNOWN', `unknown field ${key}`, `Use only: ${personFactKeys.join(', ')}`, key);
    }
  }
  if (has('fullName')) out.fullName = validateFullName(input.fullName);
  if (has('birthDate')) {
    const birth = input.birthDate;
    if (typeof birth !== 'string') throw invalid('DATE_INVALID', 'birthDate is missing', 'Give the date of birth (YYYY, YYYY-MM or YYYY-MM-DD)', 'birthDate');
    about('birthDate', () => parsePartialDate(birth, 'birthDate'));
    // `today` is the registry's day in Vietnam (see vietnamDay); the date itself is not echoed.
    if (earliestDay(birth) > today) throw invalid('DATE_IN_FUTURE', 'birthDate is after today', 'Check the date of birth', 'birthDate');
    out.birthDate = birth;
  }
  if (has('sex')) {
    if (input.sex !== 'M' && input.sex !== 'F') throw invalid('SEX_INVALID', 'sex must be M or F', 'Give M (male) or F (female)', 'sex');
    out.sex = input.sex;
  }
  for (const k of ['ethnicity', 'religion', 'hometown', 'permanentAddress', 'temporaryAddress', 'currentAddress', 'householdId', 'relationshipToHead'] as const) {
    if (has(k)) out[k] = optionalText(input[k], k);
  }
  if (has('nationality')) {
    if (typeof input.nationality !== 'string' || !/^[A-Z]{2}$/.test(input.nationality)) {
      throw invalid('NATIONALITY_INVALID', 'nationality must be an ISO 3166 two-letter code such as VN', 'Correct the nationality', 'nationality');
    }
    out.nationality = input.nationality;
  }
  if (has('birthProvince')) {
    const code = input.birthProvince;
    if (typeof code !== 'string' || adminUnitCatalog().idProvince(code) === undefined) {
      throw invalid('ADMIN_UNIT_UNKNOWN', 'birthProvince is not a 3-digit province code', 'Use the code of the province of birth registration (001-096)', 'birthProvince');
    }
    out.birthProvince = code;
  }
  for (const k of ['birthCommune'] as const) {
    if (has(k)) {
      const birth = typeof input.birthDate === 'string' ? earliestDay(input.birthDate) : effectiveOn;
      out[k] = optionalCommune(input[k], k, birth);
    }
  }
  for (const k of ['permanentCommune', 'temporaryCommune', 'currentCommune'] as const) {
    if (has(k)) out[k] = optionalCommune(input[k], k, effectiveOn);
  }
  for (const k of ['fatherId', 'motherId', 'spouseId'] as const) {
    if (has(k)) out[k] = optionalId(input[k], k);
  }
  if (has('status')) {
    if (input.status !== 'alive' && input.status !== 'deceased') throw invalid('STATUS_INVALID', 'status must be alive or deceased', 'Correct the status', 'status');
    out.status = input.status;
  }
  if (has('deathDate')) {
    const d = input.deathDate;
    if (d === null || d === undefined || d === '') out.deathDate = null;
    else {
      if (typeof d !== 'string') throw invalid('DATE_INVALID', 'deathDate must be a date', 'Give the date of death as YYYY-MM-DD', 'deathDate');
      about('deathDate', () => parseFullDate(d, 'deathDate'));
      if (d > today) throw invalid('DATE_IN_FUTURE', 'deathDate is after today', 'Check the date of death', 'deathDate');
      out.deathDate = d;
    }
  }
  return out;
}

/** Cross-field rules for a complete record: death after birth, status agrees with death date. */
export function assertFactsCoherent(facts: PersonFacts): void {
  if (facts.deathDate !== null && facts.deathDate < earliestDay(facts.birthDate)) {
    throw invalid('DATE_ORDER_INVALID', 'deathDate is before birthDate', 'Check both dates', 'deathDate');
  }
  if ((facts.status === 'deceased') !== (facts.deathDate !== null)) {
    throw invalid('STATUS_INVALID', 'a deceased person needs a date of death, and only a deceased person has one', 'Record the death with a death event', 'status');
  }
}
