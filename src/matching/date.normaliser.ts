/**
 * Dates as agencies write them, read into partial dates, and compared allowing for partial
 * knowledge, day/month swaps and single-digit typos.
 *
 * Stable API, used by bulk reconciliation and linkage: {@link parseLooseDate}, {@link compareDates}.
 */
import { DomainError } from '../shared/domain-error.js';
import { parsePartialDate } from '../registry/partial-date.js';
import type { FieldOutcome } from './verify.types.js';

const iso = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$/;
const compact = /^(\d{4})(\d{2})(\d{2})$/;
/** Day first, as Vietnamese forms write it: 15/06/1987, 15-6-1987, 15.06.1987, or 06/1987. */
const dayFirst = /^(?:(\d{1,2})[/.-])?(\d{1,2})[/.-](\d{4})$/;

function pad(n: string | undefined): string | undefined {
  return n === undefined ? undefined : n.padStart(2, '0');
}

/**
 * Reads a date written as YYYY-MM-DD, YYYY-MM, YYYY, YYYYMMDD, DD/MM/YYYY, MM/YYYY (also with - or .)
 * into the registry's partial-date text. Throws DomainError DATE_INVALID for anything else or an
 * impossible date (the message names `field`).
 *
 * @example
 * parseLooseDate('5/6/1987')   // '1987-06-05'
 * parseLooseDate('19870605')   // '1987-06-05'
 * parseLooseDate('06/1987')    // '1987-06'
 */
export function parseLooseDate(text: string, field = 'date'): string {
  const value = text.trim();
  let year: string | undefined;
  let month: string | undefined;
  let day: string | undefined;
  let m = iso.exec(value);
  if (m !== null) [, year, month, day] = m;
  else if ((m = compact.exec(value)) !== null) [, year, month, day] = m;
  else if ((m = dayFirst.exec(value)) !== null) [, day, month, year] = m;
  else {
    throw new DomainError('invalid', 'DATE_INVALID', `${field} "${value}" is not a date`, 'Write the date as YYYY-MM-DD or DD/MM/YYYY, or YYYY-MM / YYYY when only part of it is known');
  }
  const text2 = [year ?? '', pad(month), pad(day)].filter((p) => p !== undefined).join('-');
  parsePartialDate(text2, field);
  return text2;
}

/** Like {@link parseLooseDate} but undefined instead of an error (for bulk files, where a bad cell is a finding). */
export function tryParseLooseDate(text: string): string | undefined {
  try {
    return parseLooseDate(text);
  } catch {
    return undefined;
  }
}

/** A partial date prepared for fast comparison (bulk work compares each one many times). */
export interface DateValue {
  readonly text: string;
  readonly year: number;
  /** 0 when unknown. */
  readonly month: number;
  /** 0 when unknown. */
  readonly day: number;
}

/**
 * Prepares a partial date in registry form ('1987', '1987-06', '1987-06-05') for {@link compareDateValues}.
 * Throws DATE_INVALID like parsePartialDate.
 */
export function dateValue(date: string): DateValue {
  const p = parsePartialDate(date);
  return { text: date, year: p.year, month: p.month ?? 0, day: p.day ?? 0 };
}

/**
 * Compares two partial dates (registry form, e.g. from {@link parseLooseDate}):
 * - 'exact': the same text;
 * - 'close': one is less precise and agrees with the other ('1987' and '1987-06-15'), day and month
 *   swapped, or one digit wrong / two adjacent digits swapped in a full date;
 * - 'different' otherwise; 'missing' when either is empty.
 *
 * @example
 * compareDates('1987-06-05', '1987-05-06') // 'close' (day/month swap)
 * compareDates('1987', '1987-06-05')       // 'close'
 */
export function compareDates(a: string, b: string): FieldOutcome {
  if (a === '' || b === '') return 'missing';
  if (a === b) return 'exact';
  return compareDateValues(dateValue(a), dateValue(b));
}

/** {@link compareDates} on prepared values. */
export function compareDateValues(x: DateValue, y: DateValue): FieldOutcome {
  if (x.text === y.text) return 'exact';
  const full = x.day !== 0 && y.day !== 0;
  if (x.year !== y.year) return full && isTypo(x, y) ? 'close' : 'different';
  if (x.month === 0 || y.month === 0) return 'close';
  if (x.month === y.month && (x.day === 0 || y.day === 0)) return 'close';
  if (full) {
    if (x.day === y.month && x.month === y.day) return 'close';
    if (isTypo(x, y)) return 'close';
  }
  return 'different';
}

/** One digit changed, or two adjacent digits swapped, in YYYYMMDD. */
function isTypo(x: DateValue, y: DateValue): boolean {
  const p = x.year * 10_000 + x.month * 100 + x.day;
  const q = y.year * 10_000 + y.month * 100 + y.day;
  let diffs = 0;
  let first = -1;
  for (let i = 0, a = p, b = q; i < 8; i++, a = Math.floor(a / 10), b = Math.floor(b / 10)) {
    if (a % 10 !== b % 10) {
      if (diffs === 0) first = i;
      diffs++;
      if (diffs > 2) return false;
    }
  }
  if (diffs <= 1) return true;
  // two differences: adjacent and swapped?
  const digit = (n: number, i: number): number => Math.floor(n / 10 ** i) % 10;
  return digit(p, first) === digit(q, first + 1) && digit(p, first + 1) === digit(q, first) && digit(p, first + 1) !== digit(q, first + 1);
}
