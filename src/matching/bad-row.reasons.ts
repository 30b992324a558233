import { pick, type Language } from '../shared/language.js';

/**
 * Why the reader could not read a row of an agency file, by the reader's error type (DuckDB's, with
 * underscores: MISSING_COLUMNS), in Vietnamese and English.
 */
export const badRowReasons: Readonly<Record<string, { readonly vi: string; readonly en: string }>> = {
  MISSING_COLUMNS: { vi: 'dòng có ít cột hơn dòng tên cột', en: 'the row has fewer columns than the header' },
  TOO_MANY_COLUMNS: { vi: 'dòng có nhiều cột hơn dòng tên cột', en: 'the row has more columns than the header' },
  INVALID_ENCODING: { vi: 'dòng không phải UTF-8 hợp lệ (chuyển tệp từ TCVN3/VNI/Windows-1258 sang UTF-8)', en: 'the row is not valid UTF-8 (convert the file from TCVN3/VNI/Windows-1258 to UTF-8)' },
  UNQUOTED_VALUE: { vi: 'một dấu nháy kép không được đóng, hoặc một giá trị đặt nháy sai', en: 'a quote is not closed or a value is badly quoted' },
  LINE_SIZE_OVER_MAXIMUM: { vi: 'dòng dài hơn mức bộ đọc cho phép', en: 'the row is longer than the reader allows' },
  CAST_ERROR: { vi: 'không đọc được một giá trị', en: 'a value could not be read' },
};

const unknown = { vi: 'không đọc được dòng này', en: 'the row could not be read' };

/**
 * The reason for a bad row's code, in the language.
 *
 * @example
 * badRowReason('MISSING_COLUMNS', 'vi') // 'dòng có ít cột hơn dòng tên cột'
 */
export function badRowReason(code: string, lang: Language): string {
  const words = badRowReasons[code] ?? unknown;
  return pick(lang, words.vi, words.en);
}
