import { describe, expect, it } from 'vitest';
import { isDomainError } from '../shared/domain-error.js';
import { addressForms, compareAddresses, compareCommunes, currentCommunes } from './address.normaliser.js';
import { compareDates, parseLooseDate, tryParseLooseDate } from './date.normaliser.js';
import { compareIdNumbers, comparePhones, isKeyingError, normaliseIdNumber, normalisePhone, normaliseSex } from './identifier.normaliser.js';
import { compareNames, nameForms, nameSimilarity } from './name.normaliser.js';

const today = '2026-01-02';

describe('names', () => {
  it.each([
    ['Nguyễn Thị Thuý', 'nguyễn thị thúy', 'exact'], // old and new tone placement, case
    ['  Lê   Văn Đức ', 'Lê Văn Đức', 'exact'],
    ['Nguye\u0302\u0303n Văn An', 'Nguyễn Văn An', 'exact'], // NFD input
    ['Nguyễn Thị Đào', 'NGUYEN THI DAO', 'close'], // marks and đ folded
    ['Văn An Nguyễn', 'Nguyễn Văn An', 'close'], // given name first
    ['Nguyễn An', 'Nguyễn Văn An', 'close'], // middle name dropped
    ['Huỳnh Văn Lý', 'Hoàng Văn Lí', 'close'], // surname variant, y/i
    ['Võ Thị Mỹ', 'Vũ Thị Mĩ', 'close'],
    ['Nguyễn Văn Thanhh', 'Nguyễn Văn Thanh', 'close'], // typo
    ['Nguyễn Văn Bình', 'Trần Thị Lan', 'different'],
    ['Nguyễn Văn An', 'Nguyễn Văn Ân', 'close'],
    ['', 'Nguyễn Văn An', 'missing'],
  ])('%s ~ %s → %s', (a, b, outcome) => {
    expect(compareNames(nameForms(a), nameForms(b))).toBe(outcome);
    expect(compareNames(nameForms(b), nameForms(a))).toBe(outcome);
  });

  it('does not take a longer name with a different given name for a dropped middle name', () => {
    expect(compareNames(nameForms('Nguyễn Văn An'), nameForms('Nguyễn Văn Bình Minh'))).toBe('different');
  });

  it('scores a reordered name as similar as the same order', () => {
    expect(nameSimilarity(nameForms('Nguyen Van An'), nameForms('An Nguyen Van'))).toBe(1);
  });
});

describe('dates', () => {
  it.each([
    ['1987-06-05', '1987-06-05'],
    ['5/6/1987', '1987-06-05'],
    ['05-06-1987', '1987-06-05'],
    ['05.06.1987', '1987-06-05'],
    ['19870605', '1987-06-05'],
    ['06/1987', '1987-06'],
    ['1987', '1987'],
    [' 1987-6-5 ', '1987-06-05'],
  ])('reads %s as %s', (text, date) => {
    expect(parseLooseDate(text)).toBe(date);
  });

  it.each(['31/02/1990', '1990-13-01', 'yesterday', '', '12/12/12'])('refuses %j with DATE_INVALID naming the field', (text) => {
    let caught: unknown;
    try {
      parseLooseDate(text, 'birthDate');
    } catch (error) {
      caught = error;
    }
    expect(isDomainError(caught) && caught.code === 'DATE_INVALID' && caught.message.includes('birthDate')).toBe(true);
    expect(tryParseLooseDate(text)).toBeUndefined();
  });

  it.each([
    ['1987-06-05', '1987-06-05', 'exact'],
    ['1987-06-05', '1987-05-06', 'close'], // day/month swap
    ['1987', '1987-06-05', 'close'], // partial date
    ['1987-06', '1987-06-05', 'close'],
    ['1987-06-05', '1987-06-08', 'close'], // one digit
    ['1987-06-05', '1978-06-05', 'close'], // adjacent digits swapped
    ['1987-06-05', '1987-07-15', 'different'],
    ['1987-06', '1987-07-05', 'different'],
    ['1987', '1988', 'different'],
    ['', '1988', 'missing'],
  ])('%s ~ %s → %s', (a, b, outcome) => {
    expect(compareDates(a, b)).toBe(outcome);
    expect(compareDates(b, a)).toBe(outcome);
  });
});

describe('identifiers', () => {
  it('normalises ID and CMND numbers, restoring a lost leading zero', () => {
    expect(normaliseIdNumber('079 203 012 345')).toEqual({ kind: 'cccd', digits: '079203012345' });
    expect(normaliseIdNumber('79203012345')).toEqual({ kind: 'cccd', digits: '079203012345' });
    expect(normaliseIdNumber('025.123.456')).toEqual({ kind: 'cmnd', digits: '025123456' });
    expect(normaliseIdNumber('25123456')).toEqual({ kind: 'cmnd', digits: '025123456' });
    expect(normaliseIdNumber('12345')).toBeUndefined();
    expect(normaliseIdNumber('07920301234X')).toBeUndefined();
  });

  it('compares ID numbers with keying errors as close', () => {
    expect(compareIdNumbers('079203012345', '079 203 012 345')).toBe('exact');
    expect(compareIdNumbers('079203012345', '079203012346')).toBe('close');
    expect(compareIdNumbers('079203012345', '079203013245')).toBe('close');
    expect(compareIdNumbers('079203012345', '079203099999')).toBe('different');
    expect(compareIdNumbers('079203012345', '025123456')).toBe('different');
    expect(compareIdNumbers('079203012345', 'n/a')).toBe('missing');
    expect(isKeyingError('abcd', 'abdc')).toBe(true);
    expect(isKeyingError('abcd', 'badc')).toBe(false);
  });

  it.each([
    ['0912345678', '0912345678'],
    ['+84 912 345 678', '0912345678'],
    ['84912345678', '0912345678'],
    ['0084-912-345-678', '0912345678'],
    ['912345678', '0912345678'],
    ['01689123456', '0389123456'], // Viettel, renumbered 2018
    ['0123 456 7890', '0834567890'], // VinaPhone 0123 → 083
    ['(024) 3825 1234', '02438251234'], // Hà Nội landline
    ['+84 24 3825 1234', '02438251234'],
    ['0243825123', undefined], // a landline one digit short
    ['12345', undefined],
    ['abc', undefined],
  ])('phone %s → %s', (text, phone) => {
    expect(normalisePhone(text)).toBe(phone);
  });

  it('compares phones and reads sex codes', () => {
    expect(comparePhones('+84912345678', '0912 345 678')).toBe('exact');
    expect(comparePhones('0912345678', '0912345687')).toBe('close');
    expect(comparePhones('0912345678', '0987654321')).toBe('different');
    expect(comparePhones('0912345678', '')).toBe('missing');
    expect(['Nam', 'nữ', 'F', 'male', 'x'].map(normaliseSex)).toEqual(['M', 'F', 'F', 'M', undefined]);
  });
});

describe('addresses', () => {
  it('resolves old commune codes to their 2025 successors', () => {
    expect(currentCommunes('00013', today).has('00004')).toBe(true);
    expect(compareCommunes('00013', '00004', today)).toBe('close');
    expect(compareCommunes('00004', '00004', today)).toBe('exact');
    expect(compareCommunes('00004', '17677', today)).toBe('different');
    expect(compareCommunes('99999', '00004', today)).toBe('different');
    expect(compareCommunes('', '00004', today)).toBe('missing');
  });

  it('expands abbreviations and compares address words', () => {
    expect(addressForms('Số 62 Trường Chinh, P. Thới Sơn, TP.HCM').folded).toBe('so 62 truong chinh phuong thoi son thanh pho hcm');
    const registry = addressForms('Số 62 Trường Chinh, Phường Thới Sơn, Tỉnh Đồng Tháp');
    expect(compareAddresses(addressForms('so 62 truong chinh, phuong thoi son, tinh dong thap'), registry)).toBe('exact');
    expect(compareAddresses(addressForms('62 Truong Chinh, P. Thoi Son'), registry)).toBe('close');
    expect(compareAddresses(addressForms('15 Lê Lợi, Phường Bến Nghé'), registry)).toBe('different');
    expect(compareAddresses(addressForms(''), registry)).toBe('missing');
  });
});
