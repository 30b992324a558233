/**
 * The CLI's language: Vietnamese unless `--lang en` or SACHSONG_LANG=en asks for English (known
 * before the help is built). Errors keep their stable code; a code an operator often meets has its
 * Vietnamese words here, with the specifics (a file, a column list) kept from the English detail.
 */
import { languageSetting } from '../config/config.js';
import { errorWordsVi } from '../shared/error-words.vi.js';
import { pick, type Language } from '../shared/language.js';

export const cliLang: Language = languageSetting();

/** The text in the CLI's language. */
export function say(vi: string, en: string): string {
  return pick(cliLang, vi, en);
}

/** What happened and what to do, in Vietnamese, for error codes an operator meets at the command line. */
const viErrors: Readonly<Record<string, readonly [detail: string, action: string]>> = {
  FILE_NOT_FOUND: ['không có tệp ở đường dẫn này', 'kiểm tra lại đường dẫn tệp'],
  FILE_NOT_READABLE: ['không đọc được tệp', 'kiểm tra quyền đọc tệp, và đó là tệp CSV hoặc NDJSON'],
  FILE_UNREADABLE: ['không đọc được tệp', 'kiểm tra nội dung và định dạng tệp'],
  FILE_HEADER_MISSING: ['dòng đầu của tệp không phải dòng tên cột', 'đặt tên các cột, cách nhau bằng dấu phẩy, ở dòng đầu'],
  FILE_HEADER_INVALID: ['dòng tên cột không đúng', 'dùng các tên cột như `sachsong export` ghi ra'],
  FILE_ID_COLUMN_MISSING: ['tệp không có cột số định danh', 'thêm cột số định danh (idNumber)'],
  BATCH_SIZE_INVALID: ['kích thước lô không hợp lệ', 'chọn một số nguyên dương cho --batch-size'],
  STORE_UNREACHABLE: ['không kết nối được PostgreSQL', 'khởi động PostgreSQL, hoặc sửa máy chủ và cổng trong DATABASE_URL'],
  STORE_MISSING: ['cơ sở dữ liệu không tồn tại', 'tạo cơ sở dữ liệu (createdb), hoặc sửa tên trong DATABASE_URL'],
  STORE_LOGIN_REFUSED: ['PostgreSQL từ chối tên người dùng hoặc mật khẩu', 'sửa người dùng và mật khẩu trong DATABASE_URL'],
  STORE_NOT_A_DATABASE: ['tệp này không phải kho dữ liệu sachsong', 'trỏ SACHSONG_DATA_DIR tới thư mục dữ liệu sachsong, hoặc khôi phục từ bản sao lưu (sachsong restore)'],
  STORE_NOT_WRITABLE: ['không mở được kho dữ liệu để ghi', 'cấp quyền ghi thư mục dữ liệu cho người dùng này, hoặc chọn thư mục khác bằng SACHSONG_DATA_DIR'],
  RECONCILE_FILE_NOT_FOUND: ['không có tệp cần đối soát', 'kiểm tra lại đường dẫn tệp'],
  RECONCILE_FILE_EMPTY: ['tệp cần đối soát trống', 'gửi tệp có dòng tên cột và ít nhất một dòng dữ liệu'],
  RECONCILE_FILE_UNREADABLE: ['không đọc được tệp cần đối soát', 'gửi tệp CSV UTF-8 phân cách bằng dấu phẩy có dòng tên cột, hoặc tệp Parquet'],
  RECONCILE_COLUMN_MISSING: ['tệp thiếu cột cần để đối soát', 'khai báo cột bằng --map <trường>=<cột>, hoặc đổi tên cột'],
  RECONCILE_PRESET_UNKNOWN: ['không có cách đối soát này', 'chọn tax, telecom, bank hoặc welfare'],
  RECONCILE_OUTPUT_UNWRITABLE: ['không tạo được thư mục kết quả', 'chọn thư mục người dùng này được ghi'],
  ID_NUMBER_MALFORMED: ['số định danh cá nhân phải gồm đúng 12 chữ số', 'kiểm tra lại số trên thẻ căn cước'],
  OFFICER_UNKNOWN: ['cán bộ này chưa được đăng ký cho thành viên', ''],
  OVERLAP_INVALID: ['thời gian chồng lấn phải là số giờ từ 0 đến 8760', 'cho --overlap-hours một số, ví dụ 24'],
};

/** The console's sentence as part of a line: no full stop, a lower-case first word (not PostgreSQL, X-Request-Id). */
function inLine(sentence: string): string {
  const text = sentence.replace(/\.$/, '');
  return /^\p{Lu}\p{Ll}/u.test(text) ? `${text.charAt(0).toLocaleLowerCase('vi')}${text.slice(1)}` : text;
}

/** The Vietnamese words for a code: the CLI's own (an operator's fix), else those the console shows. */
function wordsFor(code: string): readonly [detail: string, action: string] | undefined {
  if (Object.hasOwn(viErrors, code)) return viErrors[code];
  const shared = Object.hasOwn(errorWordsVi, code) ? errorWordsVi[code] : undefined;
  return shared === undefined ? undefined : [inLine(shared[0]), inLine(shared[1])];
}

/**
 * One line for a domain error, in the CLI's language: Vietnamese words for every code the server
 * throws, with the server's detail (file names, columns) in brackets; the code always.
 *
 * @example
 * errorLine('FILE_NOT_FOUND', 'There is no file at people.csv', 'Check the file path')
 * // 'lỗi FILE_NOT_FOUND: không có tệp ở đường dẫn này (There is no file at people.csv); cách xử lý: kiểm tra lại đường dẫn tệp'
 */
export function errorLine(code: string, message: string, action: string): string {
  if (cliLang === 'en') return `error ${code}: ${message}; what to do: ${action}`;
  const words = wordsFor(code);
  // OFFICER_UNKNOWN's action names the real command: kept as it is.
  if (words === undefined) return `lỗi ${code}: ${message}; cách xử lý: ${action}`;
  return `lỗi ${code}: ${words[0]} (${message}); cách xử lý: ${code === 'OFFICER_UNKNOWN' ? action : words[1]}`;
}

/** commander's own headings, in Vietnamese (its words are English). */
const viTitles: Readonly<Record<string, string>> = {
  'Usage:': 'Cách dùng:',
  'Options:': 'Tùy chọn:',
  'Commands:': 'Lệnh:',
  'Arguments:': 'Tham số:',
  'Global Options:': 'Tùy chọn chung:',
};

/** commander's usage errors, rewritten in Vietnamese; the option or command they name is kept. */
const viUsageErrors: readonly (readonly [RegExp, string])[] = [
  [/^error: missing required argument '(.+)'/, "lỗi: thiếu tham số bắt buộc '$1'"],
  [/^error: option '(.+)' argument missing/, "lỗi: tùy chọn '$1' cần một giá trị"],
  [/^error: required option '(.+)' not specified/, "lỗi: chưa cho tùy chọn bắt buộc '$1'"],
  [/^error: unknown option '(.+?)'/, "lỗi: không có tùy chọn '$1'"],
  [/^error: unknown command '(.+?)'/, "lỗi: không có lệnh '$1'"],
  [/^error: too many arguments.*/, 'lỗi: quá nhiều tham số'],
  [/^error: option '(.+)' argument '(.+)' is invalid\./, "lỗi: giá trị '$2' của tùy chọn '$1' không hợp lệ."],
  [/^error: command-argument value '(.+)' is invalid for argument '(.+)'\./, "lỗi: giá trị '$1' của tham số '$2' không hợp lệ."],
  [/Allowed choices are (.+)\./, 'Chỉ được chọn $1.'],
  [/\(Did you mean one of (.+)\?\)/, '(Có phải ý bạn là một trong $1?)'],
  [/\(Did you mean (.+)\?\)/, '(Có phải ý bạn là $1?)'],
];

/**
 * A usage error of commander in the CLI's language.
 *
 * @example
 * usageError("error: required option '--out <dir>' not specified\n") // "lỗi: chưa cho tùy chọn bắt buộc '--out <dir>'\n" (in Vietnamese)
 */
export function usageError(text: string): string {
  if (cliLang === 'en') return text;
  return viUsageErrors.reduce((out, [pattern, vi]) => out.replace(pattern, vi), text);
}

/**
 * Help settings for commander (`program.configureHelp`), inherited by every subcommand: the
 * headings and the "(default: …)", "(choices: …)" notes in the CLI's language.
 */
export const helpInLanguage = {
  styleTitle: (title: string): string => (cliLang === 'en' ? title : viTitles[title] ?? title),
  optionDescription: (option: { description: string; argChoices?: string[]; defaultValue?: unknown; defaultValueDescription?: string; required: boolean; optional: boolean; isBoolean(): boolean }): string => {
    const extra: string[] = [];
    if (option.argChoices) extra.push(`${say('lựa chọn', 'choices')}: ${option.argChoices.map((c) => JSON.stringify(c)).join(', ')}`);
    if (option.defaultValue !== undefined && (option.required || option.optional || (option.isBoolean() && typeof option.defaultValue === 'boolean'))) {
      extra.push(`${say('mặc định', 'default')}: ${option.defaultValueDescription ?? JSON.stringify(option.defaultValue)}`);
    }
    return extra.length === 0 ? option.description : `${option.description} (${extra.join(', ')})`.trim();
  },
};
