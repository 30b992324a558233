import { describe, expect, it } from 'vitest';
import { fixedClock, isoDay } from './clock.js';

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
