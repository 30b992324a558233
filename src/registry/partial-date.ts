import { DomainError } from '../shared/domain-error.js';

/**
 * A date that real records sometimes only know in part: '1987', '1987-06' or '1987-06-15'.
 * Kept as ISO text so that it sorts and compares as text.
 */
export type PartialDate = string;

const pattern = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

export interface PartialDateParts {
  readonly year: number;
  readonly month: number | undefined;
  readonly day: number | undefined;
}

/** Days in a month of the proleptic Gregorian calendar (as Date.UTC counts them). */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Parses a partial date, refusing impossible ones (2023-02-29, 1990-13, 0000). A DATE_INVALID
 * message names the field and the expected format, never the value given (it may be a person's).
 *
 * @example
 * parsePartialDate('1987-06') // { year: 1987, month: 6, day: undefined }
 */
export function parsePartialDate(value: string, field = 'date'): PartialDateParts {
  const m = pattern.exec(value);
  if (!m) {
    throw new DomainError('invalid', 'DATE_INVALID', `${field} is not YYYY, YYYY-MM or YYYY-MM-DD`, 'Write the date as YYYY-MM-DD, or YYYY-MM / YYYY when only part of it is known');
  }
  const year = Number(m[1]);
  const month = m[2] === undefined ? undefined : Number(m[2]);
  const day = m[3] === undefined ? undefined : Number(m[3]);
  if (year < 1800) {
    throw new DomainError('invalid', 'DATE_INVALID', `${field} has a year before 1800 (expected YYYY-MM-DD, YYYY-MM or YYYY)`, 'Check the year');
  }
  if (month !== undefined && (month < 1 || month > 12)) {
    throw new DomainError('invalid', 'DATE_INVALID', `${field} has a month outside 01-12 (expected YYYY-MM-DD or YYYY-MM)`, 'Check the month (01-12); a day/month swap is a common cause');
  }
  if (month !== undefined && day !== undefined && (day < 1 || day > daysInMonth(year, month))) {
    throw new DomainError('invalid', 'DATE_INVALID', `${field} does not exist: the day is not in its month (expected YYYY-MM-DD)`, 'Check the day and month');
  }
  return { year, month, day };
}

/** Validates a full calendar date (YYYY-MM-DD) and returns it. */
export function parseFullDate(value: string, field = 'date'): string {
  const parts = parsePartialDate(value, field);
  if (parts.day === undefined) {
    throw new DomainError('invalid', 'DATE_INVALID', `${field} must be a full date YYYY-MM-DD`, 'Give the day, month and year');
  }
  return value;
}

/** The earliest day a partial date can mean, for comparisons ('1987' → '1987-01-01'). */
export function earliestDay(date: PartialDate): string {
  const { year, month, day } = parsePartialDate(date);
  return `${String(year).padStart(4, '0')}-${String(month ?? 1).padStart(2, '0')}-${String(day ?? 1).padStart(2, '0')}`;
}

/** Viet Nam keeps UTC+7 all year (Asia/Ho_Chi_Minh has had no daylight saving since 1975). */
const vietnamOffsetMs = 7 * 3_600_000;

/**
 * The calendar day in Viet Nam (Asia/Ho_Chi_Minh) of an instant: the registry's "today". A date is
 * in the future when it is after this day; between 00:00 and 07:00 in Viet Nam the UTC day is still
 * yesterday, so a birth registered at 06:00 local time on its own day would otherwise be refused.
 *
 * @example
 * vietnamDay(new Date('2026-12-03T18:00:00Z')) // '2026-12-04'
 */
export function vietnamDay(at: Date): string {
  return new Date(at.getTime() + vietnamOffsetMs).toISOString().slice(0, 10);
}
