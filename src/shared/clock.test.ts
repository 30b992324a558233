import { describe, expect, it } from 'vitest';
import { fixedClock, isoDay, isoInstant } from './clock.js';

describe('isoDay', () => {
  it('gives the UTC calendar day, following the instant across midnight and back', () => {
    expect(isoDay(new Date('2026-11-27T23:59:59.999Z'))).toBe('2026-11-27');
    expect(isoDay(new Date('2026-11-28T00:00:00.000Z'))).toBe('2026-11-28');
    expect(isoDay(new Date('2026-11-27T12:00:00Z'))).toBe('2026-11-27');
    expect(isoDay(fixedClock('1975-04-30T11:30:00+07:00').now())).toBe('1975-04-30');
  });

  it('refuses an invalid date as toISOString does', () => {
    expect(() => isoDay(new Date('not a date'))).toThrow(RangeError);
  });
});

describe('isoInstant', () => {
  it('writes what toISOString writes, across seconds, days, years and the ends of the four-digit years', () => {
    const instants = [
      '2026-12-06T11:18:46.029Z', '2026-12-06T11:18:46.000Z', '2026-12-06T11:18:46.999Z', '2026-12-06T11:18:47.005Z',
      '2026-12-31T23:59:59.999Z', '2027-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z',
      '0000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '+010000-01-01T00:00:00.000Z', '-000001-12-31T23:59:59.999Z',
    ];
    for (const text of instants) expect(isoInstant(new Date(text))).toBe(new Date(text).toISOString());
    // The same second asked for again, then an earlier one: the kept prefix follows.
    let ms = Date.parse('2026-12-06T11:18:46.000Z');
    for (let i = 0; i < 3_000; i += 7, ms += 7) expect(isoInstant(new Date(ms))).toBe(new Date(ms).toISOString());
    expect(isoInstant(new Date('2026-12-06T11:18:45.500Z'))).toBe('2026-12-06T11:18:45.500Z');
  });

  it('refuses an invalid date as toISOString does', () => {
    expect(() => isoInstant(new Date('not a date'))).toThrow(RangeError);
  });
});
