import { pick, type Language } from '../shared/language.js';
import type { RowRejection } from './person-import.prepare.js';

/**
 * Why an imported row was refused, for each code, in Vietnamese and English: written without the
 * row's values (the column is given beside them). The import report keeps the English message; the
 * CLI shows the one of its language.
 */
export const importRejectionTexts: Readonly<Record<string, { readonly vi: string; readonly en: string }>> = {
  NAME_MISSING: { vi: 'thiếu họ tên', en: 'the full name is missing' },
  NAME_TOO_LONG: { vi: 'họ tên dài hơn 100 ký tự', en: 'the full name is longer than 100 characters' },
  NAME_INVALID: { vi: 'họ tên có ký tự khác chữ cái, dấu cách, dấu nháy và gạch nối', en: 'the full name has characters other than letters, spaces, apostrophes and hyphens' },
  FIELD_INVALID: { vi: 'giá trị không đúng kiểu', en: 'the value is not of the expected kind' },
  FIELD_TOO_LONG: { vi: 'giá trị quá dài', en: 'the value is too long' },
  FIELD_MISSING: { vi: 'một cột bắt buộc để đăng ký bị trống: cần họ tên, ngày sinh, giới tính và tỉnh nơi đăng ký khai sinh', en: 'a column a registration needs is empty: full name, date of birth, sex and birth province are required' },
  FIELD_UNKNOWN: { vi: 'cột không phải trường nào của hồ sơ công dân', en: 'the column is not a person field' },
  COLUMN_UNKNOWN: { vi: 'cột không phải trường nào của hồ sơ công dân', en: 'the column is not a person field' },
  ID_NUMBER_MALFORMED: { vi: 'số định danh không gồm đúng 12 chữ số', en: 'the ID number is not 12 digits' },
  ID_NUMBER_MISSING: { vi: 'thiếu số định danh', en: 'the ID number is missing' },
  ID_NUMBER_TAKEN: { vi: 'số định danh này đã có trong cơ sở dữ liệu', en: 'this ID number is already in the registry' },
  DUPLICATE_IN_FILE: { vi: 'số định danh này đã xuất hiện ở một dòng trước trong tệp', en: 'this ID number appears earlier in the file' },
  ID_PROVINCE_UNKNOWN: { vi: 'ba chữ số đầu của số định danh không phải mã tỉnh nào', en: 'the first three digits of the ID number are no province code' },
  ID_PROVINCE_MISMATCH: { vi: 'mã tỉnh trong số định danh khác tỉnh nơi đăng ký khai sinh', en: 'the province in the ID number is not the birth province' },
  ID_SEX_MISMATCH: { vi: 'chữ số giới tính trong số định danh khác giới tính', en: 'the sex digit of the ID number does not agree with the sex' },
  ID_BIRTH_YEAR_MISMATCH: { vi: 'năm sinh trong số định danh khác năm của ngày sinh', en: 'the year in the ID number does not agree with the date of birth' },
  ID_BIRTH_YEAR_FUTURE: { vi: 'năm sinh trong số định danh ở tương lai', en: 'the year in the ID number is in the future' },
  ID_BIRTH_YEAR_OUT_OF_RANGE: { vi: 'năm sinh mã hóa trong số định danh không hợp lệ', en: 'the year coded in the ID number is out of range' },
  ID_SERIALS_EXHAUSTED: { vi: 'đã hết số thứ tự để cấp số định danh cho tỉnh, năm và giới tính này', en: 'no serial number is left to issue an ID number for this province, year and sex' },
  DATE_INVALID: { vi: 'ngày không có thật hoặc không viết dạng YYYY-MM-DD (hoặc YYYY-MM, YYYY khi chỉ biết một phần)', en: 'the date is not a real date written YYYY-MM-DD (or YYYY-MM, YYYY where only part is known)' },
  DATE_IN_FUTURE: { vi: 'ngày ở sau hôm nay', en: 'the date is after today' },
  DATE_ORDER_INVALID: { vi: 'ngày mất trước ngày sinh', en: 'the date of death is before the date of birth' },
  SEX_INVALID: { vi: 'giới tính phải là M (nam) hoặc F (nữ)', en: 'sex must be M or F' },
  STATUS_INVALID: { vi: 'tình trạng và ngày mất không khớp nhau', en: 'the status and the date of death do not agree' },
  NATIONALITY_INVALID: { vi: 'quốc tịch phải là mã ISO 3166 hai chữ cái, ví dụ VN', en: 'nationality must be a two-letter ISO 3166 code such as VN' },
  ADMIN_UNIT_UNKNOWN: { vi: 'không có đơn vị hành chính nào mang mã này', en: 'no administrative unit has this code' },
  ADMIN_UNIT_NOT_YET_IN_FORCE: { vi: 'đơn vị hành chính chưa có hiệu lực vào ngày đó', en: 'the administrative unit was not yet in force on that date' },
  ADMIN_UNIT_EXPIRED: { vi: 'đơn vị hành chính đã hết hiệu lực vào ngày đó', en: 'the administrative unit was no longer in force on that date' },
  TEXT_CONTROL_CHARACTER: { vi: 'văn bản có ký tự điều khiển', en: 'the text holds a control character' },
  TEXT_UNPAIRED_SURROGATE: { vi: 'văn bản có ký tự Unicode không hợp lệ (surrogate lẻ)', en: 'the text holds an unpaired surrogate (not valid Unicode)' },
  TEXT_FORMAT_CHARACTER: { vi: 'văn bản có ký tự định dạng ẩn hoặc ký tự điều khiển chiều viết', en: 'the text holds an invisible formatting or bidirectional control character' },
  TEXT_REPLACEMENT_CHARACTER: { vi: 'văn bản có ký tự thay thế (U+FFFD): các byte không giải mã được', en: 'the text holds a replacement character (U+FFFD): bytes that could not be decoded' },
  TEXT_FORMULA_START: { vi: 'văn bản bắt đầu bằng =, + hoặc @, bảng tính sẽ chạy như công thức', en: 'the text starts with =, + or @, which spreadsheets run as a formula' },
  CSV_ROW_MALFORMED: { vi: 'dòng không đọc được theo định dạng CSV', en: 'the row cannot be read as CSV' },
  NDJSON_LINE_MALFORMED: { vi: 'dòng không đọc được theo định dạng NDJSON', en: 'the line cannot be read as NDJSON' },
  ROW_ENCODING_INVALID: { vi: 'dòng có byte không phải văn bản hợp lệ theo bảng mã của tệp, hoặc ký tự thay thế U+FFFD', en: 'the row has bytes that are not valid text in the file\'s encoding, or a U+FFFD replacement character' },
};

/** For a code with no text of its own. */
const otherId = { vi: 'số định danh không khớp với ngày sinh, giới tính hoặc tỉnh nơi đăng ký khai sinh, hoặc không hợp lệ', en: 'the ID number does not agree with the date of birth, sex or birth province, or is not valid' };
const other = { vi: 'giá trị bị từ chối; xem mã lỗi', en: 'the value was refused; see the code' };

/**
 * The fixed message of a rejection code, in the language.
 *
 * @example
 * rejectionMessage('SEX_INVALID', 'vi') // 'giới tính phải là M (nam) hoặc F (nữ)'
 */
export function rejectionMessage(code: string, lang: Language): string {
  const text = importRejectionTexts[code] ?? (code.startsWith('ID_') ? otherId : other);
  return pick(lang, text.vi, text.en);
}

/** The reader's reasons for a row it could not read, in Vietnamese (numbers kept). */
const viRowReasons: readonly (readonly [RegExp, string])[] = [
  [/^the row has (\d+) fields? but the header has (\d+)$/, 'dòng có $1 trường nhưng dòng tên cột có $2'],
  [/^the (?:row|line) is longer than 1 MiB$/, 'dòng dài hơn 1 MiB'],
  [/^a quoted field is not closed$/, 'một trường mở dấu nháy kép mà không đóng'],
  [/^the row is not valid CSV \(it reads as several rows\)$/, 'dòng không phải CSV hợp lệ (đọc ra thành nhiều dòng)'],
  [/^the row is not valid CSV$/, 'dòng không phải CSV hợp lệ'],
  [/^the (?:row|line) has bytes that are not valid text in the file's encoding, or a U\+FFFD replacement character$/, 'dòng có byte không phải văn bản hợp lệ theo bảng mã của tệp, hoặc ký tự thay thế U+FFFD'],
  [/^the line is not valid JSON$/, 'dòng không phải JSON hợp lệ'],
  [/^the line is not a JSON object$/, 'dòng không phải một đối tượng JSON'],
  [/^a value is nested more than (\d+) levels deep$/, 'một giá trị lồng sâu hơn $1 cấp'],
];

/** Codes of rows the reader could not read: their message says why and on which lines of the file. */
const unreadableRowCodes: ReadonlySet<string> = new Set(['CSV_ROW_MALFORMED', 'NDJSON_LINE_MALFORMED', 'ROW_ENCODING_INVALID']);

/** An unreadable row's reason ('… (line 5)', '… (lines 5–7)') in Vietnamese. */
function unreadableRowVi(code: string, message: string): string {
  const m = /^(.*) \((lines? [\d–]+)\)$/.exec(message);
  const reason = m?.[1] ?? message;
  const where = m?.[2] === undefined ? '' : ` (${m[2].replace(/^lines? /, 'dòng ')} của tệp)`;
  const rule = viRowReasons.find(([pattern]) => pattern.test(reason));
  // A reason this list does not know: the code's words, the reader's English in brackets.
  return rule === undefined ? `${rejectionMessage(code, 'vi')} (${reason})${where}` : `${reason.replace(rule[0], rule[1])}${where}`;
}

/**
 * A rejection with its message in the language: the report's own (English) message in English; in
 * Vietnamese the code's text, or for an unreadable row the reader's reason with its line numbers.
 *
 * @example
 * rejectionIn({ rowNumber: 4, code: 'SEX_INVALID', field: 'sex', message: 'sex must be M or F' }, 'vi').message // 'giới tính phải là M (nam) hoặc F (nữ)'
 */
export function rejectionIn(rejection: RowRejection, lang: Language): RowRejection {
  if (lang === 'en') return rejection;
  const message = unreadableRowCodes.has(rejection.code) ? unreadableRowVi(rejection.code, rejection.message) : rejectionMessage(rejection.code, 'vi');
  return { ...rejection, message };
}
