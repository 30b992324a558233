import { decodeIdNumber } from '../registry/id-number.js';
import { isDomainError } from '../shared/domain-error.js';

/**
 * Explains a personal ID number digit by digit; exit code 0 when it is well formed, 2 when not.
 *
 * @example
 * explainIdNumber('079203012345') // lines describing province, century/sex, year and serial
 */
export function explainIdNumber(value: string): { readonly ok: boolean; readonly lines: readonly string[] } {
  try {
    const d = decodeIdNumber(value);
    return {
      ok: true,
      lines: [
        `${value}: a well-formed personal ID number`,
        `  ${d.provinceCode}     province of birth registration: ${d.provinceName}`,
        `  ${value[3] ?? ''}       century and sex: born ${Math.floor(d.birthYear / 100) * 100}s, ${d.sex === 'M' ? 'male' : 'female'}`,
        `  ${value.slice(4, 6)}      year of birth: ${d.birthYear}`,
        `  ${d.serial}  random serial`,
      ],
    };
  } catch (error) {
    if (isDomainError(error)) return { ok: false, lines: [`${value}: not valid (${error.code})`, `  ${error.message}`, `  what to do: ${error.action}`] };
    throw error;
  }
}
