/**
 * Identifiers as agencies hold them: personal ID numbers (12 digits), old identity-card (CMND)
 * numbers (9 digits), phone numbers, and sex codes; normalised and compared.
 *
 * Stable API, used by bulk reconciliation and linkage.
 */
import { levenshtein } from './string-similarity.js';
import type { FieldOutcome } from './verify.types.js';

const separators = /[\s.\-_/]/g;

/** What kind of identity number a string holds once separators are removed. */
export type IdNumberKind = 'cccd' | 'cmnd';

export interface NormalisedIdNumber {
  readonly kind: IdNumberKind;
  readonly digits: string;
}

/**
 * Removes spaces, dots and dashes and classifies the number: 12 digits (personal ID number, also
 * the 12-digit CMND of 2012-2016) or 9 digits (old CMND). A number that lost its leading zero in a
 * spreadsheet (11 or 8 digits) is restored. Undefined for anything else.
 *
 * @example
 * normaliseIdNumber('079 203 012 345') // { kind: 'cccd', digits: '079203012345' }
 * normaliseIdNumber('25123456')        // { kind: 'cmnd', digits: '025123456' }
 */
export function normaliseIdNumber(text: string): NormalisedIdNumber | undefined {
  const digits = text.replace(separators, '');
  if (!/^\d+$/.test(digits)) return undefined;
  if (digits.length === 12) return { kind: 'cccd', digits };
  if (digits.length === 11) return { kind: 'cccd', digits: `0${digits}` };
  if (digits.length === 9) return { kind: 'cmnd', digits };
  if (digits.length === 8) return { kind: 'cmnd', digits: `0${digits}` };
  return undefined;
}

/**
 * Compares two identity numbers: 'exact' when the same once normalised; 'close' when one digit
 * differs or two adjacent digits are swapped (a keying error); 'different' otherwise (also for a
 * 9-digit against a 12-digit number: they cannot be compared digit by digit); 'missing' when
 * either is empty or unreadable.
 */
export function compareIdNumbers(a: string, b: string): FieldOutcome {
  const x = normaliseIdNumber(a);
  const y = normaliseIdNumber(b);
  if (x === undefined || y === undefined) return 'missing';
  if (x.digits === y.digits) return 'exact';
  if (x.kind !== y.kind) return 'different';
  return isKeyingError(x.digits, y.digits) ? 'close' : 'different';
}

/** One character wrong, or two adjacent characters swapped. */
export function isKeyingError(a: string, b: string): boolean {
  if (a.length !== b.length) return levenshtein(a, b) <= 1;
  let first = -1;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      if (count === 0) first = i;
      count++;
      if (count > 2) return false;
    }
  }
  if (count <= 1) return true;
  return a[first] === b[first + 1] && a[first + 1] === b[first];
}

/**
 * Mobile prefixes renumbered in 2018 (11 digits → 10): Viettel 016x → 03x, MobiFone, VinaPhone,
 * Vietnamobile and Gmobile. Keyed by the old 4-digit prefix.
 */
const renumbered: Readonly<Record<string, string>> = {
  '0162': '032', '0163': '033', '0164': '034', '0165': '035', '0166': '036', '0167': '037', '0168': '038', '0169': '039',
  '0120': '070', '0121': '079', '0122': '077', '0126': '076', '0128': '078',
  '0123': '083', '0124': '084', '0125': '085', '0127': '081', '0129': '082',
  '0186': '056', '0188': '058', '0199': '059',
};

/**
 * A Vietnamese phone number in national form: mobiles '0' and 9 digits, landlines '02x' and
 * 8 digits (11 in all). Accepts +84 / 84 / 0084 prefixes, separators, and the old 11-digit mobile numbers
 * (converted to their 2018 form). Undefined when it cannot be a Vietnamese number.
 *
 * @example
 * normalisePhone('+84 912 345 678') // '0912345678'
 * normalisePhone('01689123456')     // '0389123456'
 */
export function normalisePhone(text: string): string | undefined {
  let digits = text.replace(/[\s.\-()/]/g, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  if (!/^\d+$/.test(digits)) return undefined;
  if (digits.startsWith('0084')) digits = `0${digits.slice(4)}`;
  else if (digits.startsWith('84') && (digits.length === 11 || digits.length === 12)) digits = `0${digits.slice(2)}`;
  else if (digits.startsWith('2') && digits.length === 10) digits = `0${digits}`;
  else if (!digits.startsWith('0') && digits.length === 9) digits = `0${digits}`;
  // landlines since 2017: 02x area code and 8 digits
  if (digits.length === 11 && digits.startsWith('02')) return digits;
  if (digits.length === 11) {
    const next = renumbered[digits.slice(0, 4)];
    if (next === undefined) return undefined;
    digits = next + digits.slice(4);
  }
  return digits.length === 10 && digits.startsWith('0') && !digits.startsWith('02') ? digits : undefined;
}

/** Compares phone numbers: 'exact' once normalised, 'close' within a keying error, else 'different'; 'missing' if either is unreadable. */
export function comparePhones(a: string, b: string): FieldOutcome {
  const x = normalisePhone(a);
  const y = normalisePhone(b);
  if (x === undefined || y === undefined) return 'missing';
  if (x === y) return 'exact';
  return isKeyingError(x, y) ? 'close' : 'different';
}

/**
 * Reads a sex code in the forms agency files use: M/F, nam/nữ, male/female, 1/0 (1 = male as in
 * most tax files). Undefined when unreadable.
 */
export function normaliseSex(text: string): 'M' | 'F' | undefined {
  const v = text.trim().toLowerCase().normalize('NFC');
  if (['m', 'nam', 'male', '1', 'trai'].includes(v)) return 'M';
  if (['f', 'nữ', 'nu', 'female', '0', 'gái', 'gai', 'w'].includes(v)) return 'F';
  return undefined;
}
