import { DomainError } from '../shared/domain-error.js';

/**
 * Old personal tax codes (mã số thuế, MST) as banks, employers and agencies still hold them after
 * 1 July 2025, when the 12-digit personal ID number became the tax code (Circular 86/2024/TT-BTC).
 *
 * A code is 10 digits, or 13 written `NNNNNNNNNN-NNN` for a dependent unit (branch) of the
 * 10-digit holder. The tenth digit is a check digit over the first nine: weights 31, 29, 23, 19,
 * 17, 13, 7, 5, 3; the check digit is 10 − (sum mod 11), and a base whose sum is divisible by 11
 * has no check digit (no such code is issued). The rule as documented by python-stdnum and
 * stdnum-js (`vn/mst`) and the worked example 010004751 → 6 of the vn-ident package; the first
 * two digits are never 00, the seven-digit sequence never 0000000, a branch suffix never 000.
 */
export interface OldTaxCode {
  /** The code as stored: 10 digits, or 10 digits, a hyphen and 3 digits. */
  readonly code: string;
  /** The 10-digit holder's code. */
  readonly base: string;
  /** The branch suffix, when there is one. */
  readonly branch: string | undefined;
}

const weights = [31, 29, 23, 19, 17, 13, 7, 5, 3] as const;

/**
 * The check digit of a 9-digit base, or undefined when the base has none (sum divisible by 11).
 *
 * @example
 * mstCheckDigit('010004751') // 6
 */
export function mstCheckDigit(nine: string): number | undefined {
  if (!/^\d{9}$/.test(nine)) throw new Error('a tax code base is 9 digits');
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(nine[i]) * (weights[i] ?? 0);
  const check = 10 - (sum % 11);
  return check === 10 ? undefined : check;
}

const malformed = (message: string, action: string): DomainError => new DomainError('invalid', 'TAX_CODE_MALFORMED', message, action);

/**
 * Reads an old tax code: surrounding spaces are ignored, nothing else is repaired (a lost leading
 * zero or a missing hyphen is the sender's to fix: guessing could name another taxpayer). The
 * refusals never repeat the code (it identifies a taxpayer).
 * Throws TAX_CODE_MALFORMED (shape), TAX_CODE_CHECK_DIGIT (a mistyped digit) or
 * TAX_CODE_IS_ID_NUMBER (a 12-digit ID number, which is the tax code itself since 1 July 2025).
 *
 * @example
 * parseOldTaxCode('0100047516').base // '0100047516'
 * parseOldTaxCode('0100047516-001').branch // '001'
 */
export function parseOldTaxCode(raw: string): OldTaxCode {
  const value = raw.trim();
  if (/^\d{12}$/.test(value)) {
    throw new DomainError('invalid', 'TAX_CODE_IS_ID_NUMBER', 'this is a 12-digit personal ID number: since 1 July 2025 it is the tax code itself, with no old code to look up', 'Send the old 10-digit tax code, or use the ID number as it is');
  }
  const shape = /^(\d{10})(?:-(\d{3}))?$/.exec(value);
  if (shape === null) {
    const digits = value.replace(/\D/g, '').length;
    throw malformed(
      value.length > 40 ? 'the tax code is too long' : `this is not an old tax code (${digits} digits${/[^\d-]/.test(value) ? ' and other characters' : ''})`,
      digits === 9 ? 'A 9-digit code may have lost its leading zero (in a spreadsheet): send all 10 digits as text' : 'Send 10 digits, or 10 digits, a hyphen and the 3-digit branch number (0100047516-001)',
    );
  }
  const base = shape[1] ?? '';
  const branch = shape[2];
  if (base.startsWith('00') || base.slice(2, 9) === '0000000') throw malformed('this is not an old tax code (its province or sequence part is zero)', 'Check the code on the tax registration certificate');
  if (branch === '000') throw malformed('branch number 000 is never issued', 'Send the 10-digit code alone, or the branch number from 001 to 999');
  const check = mstCheckDigit(base.slice(0, 9));
  if (check === undefined || String(check) !== base[9]) {
    throw new DomainError('invalid', 'TAX_CODE_CHECK_DIGIT', 'the tax code fails its check digit: a digit is mistyped', 'Check the code against the tax registration certificate or the tax authority\'s look-up');
  }
  return { code: branch === undefined ? base : `${base}-${branch}`, base, branch };
}

/** Whether a string is a valid old tax code (parseOldTaxCode would accept it). */
export function isOldTaxCode(raw: string): boolean {
  try {
    parseOldTaxCode(raw);
    return true;
  } catch {
    return false;
  }
}

/**
 * The valid 10-digit code on a 9-digit base, or undefined when the base has no check digit: for
 * generators of test registers.
 */
export function withCheckDigit(nine: string): string | undefined {
  const check = mstCheckDigit(nine);
  return check === undefined ? undefined : `${nine}${String(check)}`;
}
