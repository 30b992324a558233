/** The direction centre's one time zone: Asia/Ho_Chi_Minh (UTC+7, no daylight saving). */
const offsetMs = 7 * 3_600_000;

/** The Vietnamese calendar day (YYYY-MM-DD) of an instant. */
export function vietnamDay(at: Date): string {
  return new Date(at.getTime() + offsetMs).toISOString().slice(0, 10);
}

/** The UTC instants [start, end) of a Vietnamese calendar day. */
export function vietnamDayBounds(day: string): { readonly start: string; readonly end: string } {
  const start = Date.parse(`${day}T00:00:00Z`) - offsetMs;
  return { start: new Date(start).toISOString(), end: new Date(start + 86_400_000).toISOString() };
}

const datePattern = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar date YYYY-MM-DD. */
export function isDay(value: string): boolean {
  if (!datePattern.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** The day `n` days after `day`. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

let lastMs = 0;
let counter = 0;

/**
 * An id that sorts in the order ids were made in this process (time, then a counter), with
 * random tail: histories list changes by it, as several can share a millisecond.
 */
export function orderedId(at: Date): string {
  const ms = at.getTime();
  counter = ms === lastMs ? counter + 1 : 0;
  lastMs = ms;
  const random = Math.floor(Math.random() * 36 ** 6).toString(36).padStart(6, '0');
  return `${ms.toString(36).padStart(9, '0')}-${counter.toString(36).padStart(4, '0')}-${random}`;
}
