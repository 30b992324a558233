import { describe, expect, it } from 'vitest';
import { DomainError } from '../shared/domain-error.js';
import { earliestDay, parseFullDate, parsePartialDate } from './partial-date.js';

describe('partial dates', () => {
  it('accepts a year, a month and a full date', () => {
    expect(parsePartialDate('1950')).toEqual({ year: 1950, month: undefined, day: undefined });
    expect(parsePartialDate('1987-06')).toEqual({ year: 1987, month: 6, day: undefined });
    expect(parsePartialDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
  });

  it.each([
    ['2023-02-29', /2023-02 has 28 days/],
    ['1990-04-31', /has 30 days/],
    ['1990-13', /no month 13/],
    ['1990-00-10', /no month 0/],
    ['15/06/1990', /not YYYY/],
    ['1700', /before 1800/],
    ['', /not YYYY/],
  ])('refuses %s', (value, message) => {
    expect(() => parsePartialDate(value)).toThrow(message);
    try {
      parsePartialDate(value);
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('DATE_INVALID');
    }
  });

  it('full dates need the day', () => {
    expect(() => parseFullDate('1987-06')).toThrow(/full date/);
    expect(parseFullDate('1987-06-15')).toBe('1987-06-15');
  });

  it('compares partial dates by their earliest day', () => {
    expect(earliestDay('1987')).toBe('1987-01-01');
    expect(earliestDay('1987-06')).toBe('1987-06-01');
  });
});
