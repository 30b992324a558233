/**
 * Pure helpers for what the officer types and what the console shows: input checks that
 * mirror the API's, and date formatting for partial dates of birth.
 */
import type { Lang } from './i18n.js';

const partialDate = /^(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$/;
const isoDay = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const idNumber = /^\d{12}$/;

/**
 * True for a date of birth as records hold it: YYYY, YYYY-MM or a real YYYY-MM-DD.
 *
 * @example
 * isPartialDate('1985-03') // true
 * isPartialDate('1985-02-30') // false
 */
export function isPartialDate(value: string): boolean {
  const match = partialDate.exec(value);
  if (!match) return false;
  return match[3] === undefined || isCalendarDay(value);
}

/** True for a real calendar day written YYYY-MM-DD. */
export function isIsoDay(value: string): boolean {
  return isoDay.test(value) && isCalendarDay(value);
}

function isCalendarDay(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** A date as an officer types it, read: the ISO form the API takes, or what is wrong with it. */
export type DateInput =
  | { readonly ok: true; readonly iso: string }
  | { readonly ok: false; readonly problem: 'format' }
  | { readonly ok: false; readonly problem: 'month'; readonly month: string }
  | { readonly ok: false; readonly problem: 'day'; readonly day: string; readonly month: string; readonly year: string; readonly daysInMonth: number };

const dayFirst = /^(?:(\d{1,2})[/.-])?(\d{1,2})[/.-](\d{4})$/;
const yearFirst = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/**
 * Reads a (possibly partial) date as officers write it: dd/mm/yyyy, mm/yyyy or yyyy (dots or
 * dashes also separate), or the ISO yyyy-mm-dd. A day the month does not have is told apart from
 * a text that is not a date, so that the officer is told the right reason.
 *
 * @example
 * parseDateInput('14/07/1965') // { ok: true, iso: '1965-07-14' }
 * parseDateInput('31/02/1990') // { ok: false, problem: 'day', day: '31', month: '02', year: '1990', daysInMonth: 28 }
 */
export function parseDateInput(value: string): DateInput {
  const text = value.trim();
  const first = dayFirst.exec(text);
  const iso = first === null ? yearFirst.exec(text) : null;
  if (first === null && iso === null) return { ok: false, problem: 'format' };
  const [year, month, day] = first !== null ? [first[3] ?? '', first[2], first[1]] : [iso?.[1] ?? '', iso?.[2], iso?.[3]];
  const mm = month?.padStart(2, '0');
  const dd = day?.padStart(2, '0');
  if (mm === undefined) return { ok: true, iso: year };
  if (Number(mm) < 1 || Number(mm) > 12) return { ok: false, problem: 'month', month: mm };
  if (dd === undefined) return { ok: true, iso: `${year}-${mm}` };
  const daysInMonth = new Date(Date.UTC(Number(year), Number(mm), 0)).getUTCDate();
  if (Number(dd) < 1 || Number(dd) > daysInMonth) return { ok: false, problem: 'day', day: dd, month: mm, year, daysInMonth };
  return { ok: true, iso: `${year}-${mm}-${dd}` };
}

/** Strips spaces and dots officers paste from printed cards, then checks the 12 digits. */
export function cleanIdNumber(value: string): string | null {
  const cleaned = value.replace(/[\s.]/g, '');
  return idNumber.test(cleaned) ? cleaned : null;
}

/**
 * A (possibly partial) date for display: dd/mm/yyyy in Vietnamese, ISO in English.
 *
 * @example
 * formatDate('vi', '1985-03-07') // '07/03/1985'
 * formatDate('vi', '1985-03') // '03/1985'
 */
export function formatDate(lang: Lang, value: string | null): string {
  if (value === null || value === '') return '—';
  if (lang === 'en') return value;
  const [year, month, day] = value.split('-');
  if (day !== undefined && month !== undefined) return `${day}/${month}/${year ?? ''}`;
  if (month !== undefined) return `${month}/${year ?? ''}`;
  return value;
}

const instantFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function vietnamParts(date: Date): Readonly<Record<string, string>> {
  return Object.fromEntries(instantFormat.formatToParts(date).map((p) => [p.type, p.value]));
}

/**
 * The day (YYYY-MM-DD) an instant falls on in Vietnam, or null for text that is not an instant.
 *
 * @example
 * vietnamDay('2024-05-01T18:30:00Z') // '2024-05-02'
 */
export function vietnamDay(value: string): string | null {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  const parts = vietnamParts(date);
  return `${parts['year'] ?? ''}-${parts['month'] ?? ''}-${parts['day'] ?? ''}`;
}

/**
 * An instant in Vietnam's time zone, where the registry's officers work: day first in
 * Vietnamese, ISO order in English; 24-hour clock in both.
 *
 * @example
 * formatInstant('vi', '2024-05-02T03:15:00Z') // '02/05/2024 10:15:00'
 */
export function formatInstant(lang: Lang, value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const parts = vietnamParts(date);
  const time = `${parts['hour'] ?? ''}:${parts['minute'] ?? ''}:${parts['second'] ?? ''}`;
  const year = parts['year'] ?? '';
  const month = parts['month'] ?? '';
  const day = parts['day'] ?? '';
  return lang === 'vi' ? `${day}/${month}/${year} ${time}` : `${year}-${month}-${day} ${time}`;
}

/**
 * "address, commune, province" without the parts the server did not know, and without
 * names the address already spells out (many addresses are written in full).
 *
 * @example
 * joinPlace(['12 Đội Cấn, Phường Ba Đình', 'Phường Ba Đình', 'Hà Nội']) // '12 Đội Cấn, Phường Ba Đình, Hà Nội'
 */
export function joinPlace(parts: readonly (string | null)[]): string {
  const kept: string[] = [];
  for (const part of parts) {
    if (part === null || part.trim() === '') continue;
    const folded = part.normalize('NFC').toLowerCase();
    if (kept.some((k) => k.normalize('NFC').toLowerCase().includes(folded))) continue;
    kept.push(part);
  }
  return kept.join(', ');
}

/** A value from an event's data, readable in one line. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value === '' ? '—' : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(formatValue).join('; ');
  if (typeof value === 'object') {
    const record = value as Readonly<Record<string, unknown>>;
    // Residences and admin units read better as "address, commune, province" than as JSON.
    const place = joinPlace(
      ['address', 'communeName', 'name', 'provinceName'].map((key) => {
        const part = record[key];
        return typeof part === 'string' ? part : null;
      }),
    );
    if (place !== '') return place;
  }
  return JSON.stringify(value);
}

/**
 * A country from its ISO 3166 alpha-2 code, in the console's language; other text (older
 * records may hold a name) is shown as it is.
 *
 * @example
 * countryName('vi', 'VN') // 'Việt Nam'
 */
export function countryName(lang: Lang, code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return code;
  try {
    return new Intl.DisplayNames([lang], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}
