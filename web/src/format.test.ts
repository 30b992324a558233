import { describe, expect, it } from 'vitest';
import {
  cleanIdNumber,
  countryName,
  formatDate,
  formatInstant,
  formatValue,
  isIsoDay,
  isPartialDate,
  joinPlace,
  parseDateInput,
  vietnamDay,
} from './format.js';

describe('isPartialDate', () => {
  it('accepts a year, a month and a real day', () => {
    expect(isPartialDate('1985')).toBe(true);
    expect(isPartialDate('1985-03')).toBe(true);
    expect(isPartialDate('2000-02-29')).toBe(true);
  });

  it.each(['85', '1985-3', '1985-13', '1985-02-30', '1900-02-29', '1985/03/07', '1985-03-07x', ''])(
    'rejects %j',
    (value) => {
      expect(isPartialDate(value)).toBe(false);
    },
  );
});

describe('isIsoDay', () => {
  it('needs a full, real day', () => {
    expect(isIsoDay('2024-05-31')).toBe(true);
    expect(isIsoDay('2024-05')).toBe(false);
    expect(isIsoDay('2024-04-31')).toBe(false);
  });
});

describe('cleanIdNumber', () => {
  it('keeps 12 digits and drops the spaces and dots of printed cards', () => {
    expect(cleanIdNumber(' 001 085 012.345 ')).toBe('001085012345');
  });

  it.each(['00108501234', '0010850123456', '00108501234a', ''])('rejects %j', (value) => {
    expect(cleanIdNumber(value)).toBeNull();
  });
});

describe('formatDate', () => {
  it('writes Vietnamese dates day first and keeps partial dates partial', () => {
    expect(formatDate('vi', '1985-03-07')).toBe('07/03/1985');
    expect(formatDate('vi', '1985-03')).toBe('03/1985');
    expect(formatDate('vi', '1985')).toBe('1985');
  });

  it('keeps ISO in English and a dash for no date', () => {
    expect(formatDate('en', '1985-03-07')).toBe('1985-03-07');
    expect(formatDate('vi', null)).toBe('—');
  });
});

describe('formatInstant', () => {
  it('shows the time in Vietnam, day first in Vietnamese', () => {
    expect(formatInstant('vi', '2024-05-02T03:15:00Z')).toBe('02/05/2024 10:15:00');
    expect(formatInstant('en', '2024-05-02T20:05:09Z')).toBe('2024-05-03 03:05:09');
  });

  it('passes through text that is not a date', () => {
    expect(formatInstant('vi', 'not a date')).toBe('not a date');
  });
});

describe('formatValue', () => {
  it('reads places as text and other objects as JSON', () => {
    expect(
      formatValue({ communeCode: '00004', communeName: 'Ba Đình', provinceName: 'Hà Nội', address: '12 Đội Cấn' }),
    ).toBe('12 Đội Cấn, Ba Đình, Hà Nội');
    expect(formatValue({ cardNumber: 'X1' })).toBe('{"cardNumber":"X1"}');
    expect(formatValue(null)).toBe('—');
    expect(formatValue(['a', 2])).toBe('a; 2');
  });
});

describe('countryName', () => {
  it('names ISO codes in the chosen language and leaves other text alone', () => {
    expect(countryName('en', 'VN')).toBe('Vietnam');
    expect(countryName('vi', 'Việt Nam')).toBe('Việt Nam');
  });
});

describe('joinPlace', () => {
  it('skips unknown parts and names the address already spells out', () => {
    expect(joinPlace(['12 Đội Cấn', null, 'Hà Nội'])).toBe('12 Đội Cấn, Hà Nội');
    expect(joinPlace(['Số 3 Lê Lợi, Phường Nghĩa Đô, Thành phố Hà Nội', 'Phường Nghĩa Đô', 'Thành phố Hà Nội'])).toBe(
      'Số 3 Lê Lợi, Phường Nghĩa Đô, Thành phố Hà Nội',
    );
    expect(joinPlace([null, '', 'Phường Ba Đình'])).toBe('Phường Ba Đình');
  });
});

describe('vietnamDay', () => {
  it('gives the day in Vietnam, seven hours ahead of UTC', () => {
    expect(vietnamDay('2024-05-01T16:59:59Z')).toBe('2024-05-01');
    expect(vietnamDay('2024-05-01T17:00:00Z')).toBe('2024-05-02');
    expect(vietnamDay('yesterday')).toBeNull();
  });
});

describe('parseDateInput', () => {
  it.each([
    ['14/07/1965', '1965-07-14'],
    ['4/7/1965', '1965-07-04'],
    ['14.07.1965', '1965-07-14'],
    ['07/1965', '1965-07'],
    ['1965', '1965'],
    ['1965-07-14', '1965-07-14'],
    ['29/02/2000', '2000-02-29'],
  ])('reads %j as %j', (typed, iso) => {
    expect(parseDateInput(typed)).toEqual({ ok: true, iso });
  });

  it('tells a day the month does not have from a text that is not a date', () => {
    expect(parseDateInput('31/02/1990')).toEqual({ ok: false, problem: 'day', day: '31', month: '02', year: '1990', daysInMonth: 28 });
    expect(parseDateInput('29/02/1900')).toMatchObject({ ok: false, problem: 'day', daysInMonth: 28 });
    expect(parseDateInput('31/04/1990')).toMatchObject({ ok: false, problem: 'day', daysInMonth: 30 });
    expect(parseDateInput('13/1990')).toEqual({ ok: false, problem: 'month', month: '13' });
    expect(parseDateInput('14/13/1965')).toEqual({ ok: false, problem: 'month', month: '13' });
    for (const text of ['', 'abc', '14/07/65', '1965/07/14', '1965-7-14']) expect(parseDateInput(text)).toEqual({ ok: false, problem: 'format' });
  });
});
