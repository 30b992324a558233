// Dates as whole UTC days since 1970-01-01 for the population generator: cheap arithmetic, strings from a cache.

export const DAY_MS = 86_400_000;
export const YEAR = 365.2425;

export function dayOf(iso: string): number {
  return Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
}

// Days from 1800-01-01 to 2299-12-31, filled on first use.
const isoBase = dayOf('1800-01-01');
const isoCache: (string | undefined)[] = new Array<string | undefined>(dayOf('2300-01-01') - isoBase).fill(undefined);
export function iso(day: number): string {
  let s = isoCache[day - isoBase];
  if (s === undefined) {
    s = new Date(day * DAY_MS).toISOString().slice(0, 10);
    isoCache[day - isoBase] = s;
  }
  return s;
}

export function yearOf(day: number): number {
  return new Date(day * DAY_MS).getUTCFullYear();
}

/** The day someone born on `day` turns `years` old (29 Feb births turn on 1 March). */
export function birthday(day: number, years: number): number {
  const d = new Date(day * DAY_MS);
  return Math.round(Date.UTC(d.getUTCFullYear() + years, d.getUTCMonth(), d.getUTCDate()) / DAY_MS);
}

const two = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
/** An ISO timestamp in office hours, Vietnam time (UTC+7): 01:00-09:59 UTC. */
export function timestamp(day: number, secondOfDay: number): string {
  const h = Math.floor(secondOfDay / 3600);
  const m = Math.floor((secondOfDay % 3600) / 60);
  const s = secondOfDay % 60;
  return `${iso(day)}T${two[h] ?? '00'}:${two[m] ?? '00'}:${two[s] ?? '00'}.000Z`;
}

/** Two hex digits for each byte value. */
export const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
export function hex32(n: number): string {
  return (hex[n >>> 24] ?? '') + (hex[(n >>> 16) & 255] ?? '') + (hex[(n >>> 8) & 255] ?? '') + (hex[n & 255] ?? '');
}
