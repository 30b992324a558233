import { describe, expect, it } from 'vitest';
import { isOldTaxCode, mstCheckDigit, parseOldTaxCode, withCheckDigit } from './tax-code.js';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('old tax codes', () => {
  it('computes the check digit by the documented weights (worked examples)', () => {
    expect(mstCheckDigit('010004751')).toBe(6);
    expect(mstCheckDigit('010023348')).toBe(8);
    // A base whose weighted sum is divisible by 11 has no check digit: no code is issued on it.
    expect(mstCheckDigit('000000000')).toBeUndefined();
    expect(withCheckDigit('010004751')).toBe('0100047516');
  });

  it('reads 10-digit codes and 13-digit branch codes', () => {
    expect(parseOldTaxCode(' 0100047516 ')).toEqual({ code: '0100047516', base: '0100047516', branch: undefined });
    expect(parseOldTaxCode('0100233488-002')).toEqual({ code: '0100233488-002', base: '0100233488', branch: '002' });
    expect(isOldTaxCode('0100047516')).toBe(true);
  });

  it('refuses a mistyped digit, two swapped digits, a lost leading zero, a 12-digit ID number and other shapes, each with its code', () => {
    expect(codeOf(() => parseOldTaxCode('0100047517'))).toBe('TAX_CODE_CHECK_DIGIT');
    expect(codeOf(() => parseOldTaxCode('1000047516'))).toBe('TAX_CODE_CHECK_DIGIT');
    expect(codeOf(() => parseOldTaxCode('100047516'))).toBe('TAX_CODE_MALFORMED');
    expect(() => parseOldTaxCode('100047516')).toThrow(/9 digits|10 digits/);
    expect(codeOf(() => parseOldTaxCode('001087123456'))).toBe('TAX_CODE_IS_ID_NUMBER');
    expect(codeOf(() => parseOldTaxCode('0100233488-000'))).toBe('TAX_CODE_MALFORMED');
    expect(codeOf(() => parseOldTaxCode('0100233488002'))).toBe('TAX_CODE_MALFORMED');
    expect(codeOf(() => parseOldTaxCode('01.00.047.516'))).toBe('TAX_CODE_MALFORMED');
    expect(codeOf(() => parseOldTaxCode('1.00047516E+09'))).toBe('TAX_CODE_MALFORMED');
    expect(codeOf(() => parseOldTaxCode('0000000000'))).toBe('TAX_CODE_MALFORMED');
    expect(codeOf(() => parseOldTaxCode(''))).toBe('TAX_CODE_MALFORMED');
    expect(isOldTaxCode('0100047517')).toBe(false);
  });
});
