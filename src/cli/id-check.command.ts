import { decodeIdNumber } from '../registry/id-number.js';
import { isDomainError } from '../shared/domain-error.js';
import { cliLang, errorLine, say } from './cli-language.js';

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
        say(`${value}: số định danh cá nhân đúng cấu trúc`, `${value}: a well-formed personal ID number`),
        `  ${d.provinceCode}     ${say('tỉnh nơi đăng ký khai sinh', 'province of birth registration')}: ${d.provinceName}`,
        `  ${value[3] ?? ''}       ${say(`thế kỷ và giới tính: sinh trong thế kỷ ${Math.floor(d.birthYear / 100) + 1}, ${d.sex === 'M' ? 'nam' : 'nữ'}`, `century and sex: born ${Math.floor(d.birthYear / 100) * 100}s, ${d.sex === 'M' ? 'male' : 'female'}`)}`,
        `  ${value.slice(4, 6)}      ${say('năm sinh', 'year of birth')}: ${d.birthYear}`,
        `  ${d.serial}  ${say('số ngẫu nhiên', 'random serial')}`,
      ],
    };
  } catch (error) {
    if (!isDomainError(error)) throw error;
    return {
      ok: false,
      lines: cliLang === 'en'
        ? [`${value}: not valid (${error.code})`, `  ${error.message}`, `  what to do: ${error.action}`]
        : [`${value}: không hợp lệ (${error.code})`, `  ${errorLine(error.code, error.message, error.action)}`],
    };
  }
}
