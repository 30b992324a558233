/** A source of time, injected so that services can be tested at any date. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(at: Date | string): Clock {
  const date = new Date(at);
  return { now: () => new Date(date) };
}

const DAY_MS = 86_400_000;
let cachedDay = Number.NaN;
let cachedIso = '';

/**
 * The calendar day (UTC, `YYYY-MM-DD`) of an instant. The string is kept for the last day asked
 * for: hot request paths ask for today on every call, and `toISOString` cost ~3% of a person lookup.
 *
 * @example
 * isoDay(new Date('2026-11-27T16:53:50Z')) // '2026-11-27'
 */
export function isoDay(at: Date): string {
  const day = Math.floor(at.getTime() / DAY_MS);
  if (day !== cachedDay) {
    cachedIso = at.toISOString().slice(0, 10);
    cachedDay = day;
  }
  return cachedIso;
}

let cachedSecond = Number.NaN;
let cachedSecondIso = '';

/**
 * `at.toISOString()`, with the text up to the second kept for the last second asked for: an
 * officer's read stamps its access record with the instant, and `toISOString` cost 0.4 µs of it
 * (measured 2026-12-06) where appending the milliseconds to the kept second costs a tenth of that.
 *
 * @example
 * isoInstant(new Date('2026-12-06T11:18:46.029Z')) // '2026-12-06T11:18:46.029Z'
 */
export function isoInstant(at: Date): string {
  const ms = at.getTime();
  // Years 0 to 9999 only: outside them toISOString writes six signed digits (and NaN throws there).
  if (!(ms >= minFourDigitYearMs && ms <= maxFourDigitYearMs)) return at.toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecondIso = at.toISOString().slice(0, 20);
    cachedSecond = second;
  }
  const milli = ms - second * 1000;
  return `${cachedSecondIso}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${String(milli)}Z`;
}

// Date.UTC reads years 0–99 as 1900–1999: year 0 is set on a date instead.
const minFourDigitYearMs = new Date(0).setUTCFullYear(0, 0, 1);
const maxFourDigitYearMs = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
