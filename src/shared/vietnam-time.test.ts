import { describe, expect, it } from 'vitest';
import { vietnamInstant } from './vietnam-time.js';

describe('vietnamInstant', () => {
  it('reads a date alone as a whole day in Vietnam time', () => {
    expect(vietnamInstant('2027-12-31', { endOfDay: false })).toBe('2027-12-30T17:00:00.000Z');
    expect(vietnamInstant('2027-12-31', { endOfDay: true })).toBe('2027-12-31T17:00:00.000Z');
  });

  it('keeps an instant as given, whatever the flag', () => {
    expect(vietnamInstant('2027-12-31T10:00:00Z', { endOfDay: true })).toBe('2027-12-31T10:00:00.000Z');
    expect(vietnamInstant('2027-12-31T23:59:59+07:00', { endOfDay: false })).toBe('2027-12-31T16:59:59.000Z');
  });

  it('refuses impossible dates and other shapes', () => {
    for (const bad of ['2027-02-30', '2027-13-01', '31/12/2027', '2027-12-31 10:00', '', 'tomorrow']) expect(vietnamInstant(bad, { endOfDay: true }), bad).toBeUndefined();
  });
});
