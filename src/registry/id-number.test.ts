import { describe, expect, it } from 'vitest';
import { DomainError } from '../shared/domain-error.js';
import { assertIdConsistent, decodeIdNumber, idInconsistencies, idPrefix, issueIdNumber } from './id-number.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof DomainError ? error.code : 'NOT_DOMAIN_ERROR';
  }
  return undefined;
}

describe('decodeIdNumber', () => {
  it('decodes province, century and sex, year and serial', () => {
    const d = decodeIdNumber('079203012345');
    expect(d.provinceCode).toBe('079');
    expect(d.provinceName).toMatch(/Hồ Chí Minh/);
    expect(d.sex).toBe('M');
    expect(d.birthYear).toBe(2003);
    expect(d.serial).toBe('012345');
    expect(decodeIdNumber('001185000001')).toMatchObject({ sex: 'F', birthYear: 1985 });
    expect(decodeIdNumber('096090000001')).toMatchObject({ sex: 'M', birthYear: 1990 });
  });

  it.each([
    ['07920301234', 'ID_NUMBER_MALFORMED'],
    ['0792030123456', 'ID_NUMBER_MALFORMED'],
    ['079 203 012 345', 'ID_NUMBER_MALFORMED'],
    ['07920301234a', 'ID_NUMBER_MALFORMED'],
    ['123456789', 'ID_NUMBER_MALFORMED'],
    ['000203012345', 'ID_PROVINCE_UNKNOWN'],
    ['099203012345', 'ID_PROVINCE_UNKNOWN'],
    ['079499012345', 'ID_BIRTH_YEAR_FUTURE'],
    ['079299012345', 'ID_BIRTH_YEAR_FUTURE'],
  ])('refuses %s with %s', (value, code) => {
    expect(codeOf(() => decodeIdNumber(value, new Date('2026-11-27')))).toBe(code);
  });

  it('names a 9-digit identity card number for what it is', () => {
    expect(() => decodeIdNumber('123456789')).toThrow(/9-digit identity card/);
  });
});

describe('consistency with the holder', () => {
  const decoded = decodeIdNumber('079203012345');
  it('agrees with a male born 2003 registered in 079', () => {
    expect(idInconsistencies(decoded, { birthDate: '2003-05-01', sex: 'M', birthProvince: '079' })).toEqual([]);
  });
  it('lists sex, year and province mismatches', () => {
    const found = idInconsistencies(decoded, { birthDate: '2004', sex: 'F', birthProvince: '001' });
    expect(found.map((f) => f.code)).toEqual(['ID_SEX_MISMATCH', 'ID_BIRTH_YEAR_MISMATCH', 'ID_PROVINCE_MISMATCH']);
    expect(codeOf(() => assertIdConsistent('079203012345', { birthDate: '2004-01-01', sex: 'M' }))).toBe('ID_BIRTH_YEAR_MISMATCH');
  });
});

describe('issuance', () => {
  it('builds prefixes for each century and sex', () => {
    expect(idPrefix('079', 'M', 2003)).toBe('079203');
    expect(idPrefix('001', 'F', 1985)).toBe('001185');
    expect(idPrefix('048', 'F', 2105)).toBe('048505');
    expect(codeOf(() => idPrefix('001', 'M', 1899))).toBe('ID_BIRTH_YEAR_OUT_OF_RANGE');
  });

  it('never issues a number already issued', async () => {
    const issued = new Set(['079203000001', '079203000002']);
    const serials = [1, 2, 3];
    const id = await issueIdNumber({ birthProvince: '079', sex: 'M', birthYear: 2003 }, (c) => Promise.resolve(issued.has(c)), () => serials.shift() ?? 0);
    expect(id).toBe('079203000003');
  });

  it('fails loudly when it cannot find a free number', async () => {
    await expect(issueIdNumber({ birthProvince: '079', sex: 'M', birthYear: 2003 }, () => Promise.resolve(true), () => 7)).rejects.toMatchObject({ code: 'ID_SERIALS_EXHAUSTED' });
  });

  it('refuses an unknown birth province', async () => {
    await expect(issueIdNumber({ birthProvince: '000', sex: 'M', birthYear: 2003 }, () => Promise.resolve(false))).rejects.toMatchObject({ code: 'ID_PROVINCE_UNKNOWN' });
  });
});
