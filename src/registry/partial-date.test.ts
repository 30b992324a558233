import { describe, expect, it } from 'vitest';
import { DomainError } from '../shared/domain-error.js';
import { earliestDay, parseFullDate, parsePartialDate } from './partial-date.js';

describe('partial dates', () => {
  it('accepts a year, a month and a full date', () => {
    expect(parsePartialDate('1950')).toEqual({ year: 1950, month: undefined, day: undefined });
    expect(parsePartialDate('1987-06')).toEqual({ year: 1987, month: 6, day: undefined });
    expect(parsePartialDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
  });

  it('knows every month\'s length, leap years by the Gregorian rule, as the calendar does', () => {
    for (const year of [1800, 1900, 1999, 2000, 2023, 2024, 2100]) {
      for (let month = 1; month <= 12; month++) {
        const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
        const at = (day: number): string => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
        expect(parsePartialDate(at(days)).day).toBe(days);
        expect(() => parsePartialDate(at(days + 1))).toThrow(/does not exist/);
      }
    }
  });

  it.each([
    ['2023-02-29', /^date does not exist: the day is not in its month/],
    ['1990-04-31', /^date does not exist/],
    ['1990-13', /^date has a month outside 01-12/],
    ['1990-00-10', /^date has a month outside 01-12/],
    ['15/06/1990', /^date is not YYYY, YYYY-MM or YYYY-MM-DD$/],
    ['1700', /^date has a year before 1800/],
    ['', /^date is not YYYY/],
  ])('refuses %s without repeating it', (value, message) => {
    expect(() => parsePartialDate(value)).toThrow(message);
    try {
      parsePartialDate(value);
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('DATE_INVALID');
      const { message: text } = error as DomainError;
      for (const part of value.split(/[-/]/u).filter((p) => p !== '' && p !== '01')) expect(text).not.toContain(part);
    }
  });

  it('names the field in its messages', () => {
    expect(() => parsePartialDate('1990-13', 'birth_date')).toThrow(/^birth_date has a month outside 01-12/);
  });

  it('full dates need the day', () => {
    expect(() => parseFullDate('1987-06')).toThrow(/^date must be a full date YYYY-MM-DD$/);
    expect(parseFullDate('1987-06-15')).toBe('1987-06-15');
  });

  it('compares partial dates by their earliest day', () => {
    expect(earliestDay('1987')).toBe('1987-01-01');
    expect(earliestDay('1987-06')).toBe('1987-06-01');
  });
});
