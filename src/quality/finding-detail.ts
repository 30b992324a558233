import { pick, type Language } from '../shared/language.js';

/**
 * What a quality rule found wrong with a record, as a code with parameters. The store keeps the
 * English sentence with ISO dates (`stored`), as findings always have: older findings read back the
 * same way, and `parseDetail` gives their code and parameters again. Officers read the detail in
 * their language (`renderDetail`): Vietnamese with dates as dd/mm/yyyy, or English.
 */
export interface FindingDetail {
  readonly code: DetailCode;
  readonly params: Readonly<Record<string, string>>;
}

/** What a parameter holds: it decides how it is matched in stored text and shown to officers. */
type ParamKind = 'date' | 'yearMonth' | 'digits' | 'number' | 'sex' | 'field' | 'label' | 'id';

const paramKinds: Readonly<Record<string, ParamKind>> = {
  date: 'date', yearMonth: 'yearMonth', month: 'digits', day: 'digits', year: 'digits', idYear: 'digits', birthYear: 'digits',
  digits: 'digits', idProvince: 'digits', recordProvince: 'id', commune: 'id', count: 'digits', score: 'number',
  idSex: 'sex', recordSex: 'sex', field: 'field', label: 'label', other: 'id', request: 'id',
};

const paramPatterns: Readonly<Record<ParamKind, string>> = {
  date: '\\d{4}(?:-\\d{2}(?:-\\d{2})?)?', yearMonth: '\\d{4}-\\d{2}', digits: '\\d+', number: '\\d+(?:\\.\\d+)?', sex: '[^ ,]+',
  field: '[a-z_]+', label: '.+?', id: '[^ ,()]*',
};

/** The stored (English, ISO) sentence and the Vietnamese one of each code; `{name}` marks a parameter. */
const templates = {
  date_format: { en: 'not YYYY, YYYY-MM or YYYY-MM-DD', vi: 'ngày không có dạng năm, tháng/năm hoặc ngày/tháng/năm' },
  date_year_before_1800: { en: 'year before 1800', vi: 'năm trước 1800' },
  date_no_month: { en: 'no month {month}', vi: 'không có tháng {month}' },
  date_no_day: { en: 'day {day} does not exist in {yearMonth}', vi: 'không có ngày {day} trong tháng {yearMonth}' },
  id_not_12_digits: { en: 'not 12 digits', vi: 'số định danh không gồm đúng 12 chữ số' },
  id_province_unknown: { en: 'digits 1-3 ({digits}) are not a province of birth registration', vi: 'chữ số 1-3 ({digits}) không phải mã tỉnh nơi đăng ký khai sinh' },
  id_year_in_future: { en: 'digits 4-6 give a year of birth in the future', vi: 'chữ số 4-6 cho năm sinh ở tương lai' },
  id_birth_year_mismatch: { en: 'ID says born in {idYear}, date of birth says {birthYear}', vi: 'số định danh ghi sinh năm {idYear}, ngày sinh ghi năm {birthYear}' },
  id_sex_mismatch: { en: 'ID says {idSex}, record says {recordSex}', vi: 'số định danh ghi giới tính {idSex}, hồ sơ ghi {recordSex}' },
  id_province_mismatch: { en: 'ID says province {idProvince}, record says {recordProvince}', vi: 'số định danh ghi mã tỉnh {idProvince}, hồ sơ ghi {recordProvince}' },
  date_in_future: { en: 'in the future', vi: 'ngày ở tương lai' },
  alive_with_death_date: { en: 'alive but has a date of death', vi: 'còn sống nhưng có ngày mất' },
  deceased_without_death_date: { en: 'deceased without a date of death', vi: 'đã mất nhưng không có ngày mất' },
  death_before_birth: { en: 'before the date of birth', vi: 'ngày mất trước ngày sinh' },
  birth_commune_not_in_force: { en: 'commune {commune} was not in force on the date of birth', vi: 'xã {commune} chưa hoặc không còn hiệu lực vào ngày sinh' },
  commune_unknown: { en: '{field} {commune} is no administrative unit', vi: '{field} {commune} không phải đơn vị hành chính nào' },
  commune_not_in_force: { en: '{field} {commune} is not in force', vi: '{field} {commune} không còn hiệu lực' },
  name_characters: { en: 'characters other than letters, spaces, apostrophes and hyphens', vi: 'có ký tự khác chữ cái, dấu cách, dấu nháy và gạch nối' },
  name_single_word: { en: 'a single word', vi: 'chỉ có một từ' },
  name_too_long: { en: 'longer than 100 characters', vi: 'dài hơn 100 ký tự' },
  name_garbled: { en: 'garbled or repeated letters', vi: 'có ký tự lỗi mã hóa hoặc chữ cái lặp lại' },
  missing: { en: 'missing', vi: 'chưa được ghi nhận' },
  no_residence: { en: 'no permanent or current residence', vi: 'không có nơi thường trú hoặc nơi ở hiện tại' },
  stale: { en: 'last updated {date}', vi: 'cập nhật lần cuối ngày {date}' },
  alive_over_120: { en: 'alive and older than 120', vi: 'còn sống và trên 120 tuổi' },
  duplicate: { en: 'likely the same person as {other} (score {score})', vi: 'có thể cùng một người với {other} (điểm {score})' },
  household_no_head: { en: 'no head among the living members', vi: 'không có chủ hộ trong số thành viên còn sống' },
  household_heads: { en: '{count} heads', vi: '{count} chủ hộ' },
  spouse_self: { en: 'recorded as their own spouse', vi: 'được ghi là vợ/chồng của chính mình' },
  spouse_missing: { en: 'the spouse is not in the registry', vi: 'vợ/chồng không có trong cơ sở dữ liệu' },
  spouse_records_none: { en: 'the spouse records no spouse', vi: 'hồ sơ của vợ/chồng không ghi vợ/chồng' },
  spouse_records_other: { en: 'the spouse records another spouse', vi: 'hồ sơ của vợ/chồng ghi một người khác là vợ/chồng' },
  father_missing: { en: 'the father is not in the registry', vi: 'cha không có trong cơ sở dữ liệu' },
  father_female: { en: 'the father is recorded as female', vi: 'cha được ghi giới tính nữ' },
  mother_missing: { en: 'the mother is not in the registry', vi: 'mẹ không có trong cơ sở dữ liệu' },
  mother_male: { en: 'the mother is recorded as male', vi: 'mẹ được ghi giới tính nam' },
  born_before_father: { en: 'born before the father', vi: 'sinh trước cha' },
  born_before_mother: { en: 'born before the mother', vi: 'sinh trước mẹ' },
  event_after_death: { en: 'an event on {date} after the death', vi: 'có sự kiện ngày {date}, sau ngày mất' },
  // A citizen's request is stored in Vietnamese, with the field's two names ('Họ và tên · Full name').
  correction_request: { en: 'The citizen asks to correct {label} (request {request})', vi: 'Công dân đề nghị sửa {label} (yêu cầu {request})' },
} as const satisfies Readonly<Record<string, { readonly en: string; readonly vi: string }>>;

export type DetailCode = keyof typeof templates;

/** Every detail code, in catalog order. */
export const detailCodes = Object.keys(templates) as DetailCode[];

/**
 * A detail with its parameters.
 *
 * @example
 * detail('stale', { date: '1980-06-17' })
 */
export function detail(code: DetailCode, params: Readonly<Record<string, string>> = {}): FindingDetail {
  return { code, params };
}

function fill(template: string, value: (name: string) => string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => value(name));
}

/** Codes whose stored sentence is the Vietnamese one. */
const storedInVietnamese: ReadonlySet<DetailCode> = new Set(['correction_request']);

function storedLanguage(code: DetailCode): Language {
  return storedInVietnamese.has(code) ? 'vi' : 'en';
}

/**
 * The sentence the store keeps: English with parameters as they are (ISO dates).
 *
 * @example
 * storedDetail(detail('stale', { date: '1980-06-17' })) // 'last updated 1980-06-17'
 */
export function storedDetail(d: FindingDetail): string {
  return fill(templates[d.code][storedLanguage(d.code)], (name) => d.params[name] ?? '');
}

const fieldNames: Readonly<Record<string, readonly [vi: string, en: string]>> = {
  permanent_commune: ['nơi thường trú', 'permanent residence'],
  temporary_commune: ['nơi tạm trú', 'temporary residence'],
  current_commune: ['nơi ở hiện tại', 'current residence'],
};

/** A (partial) ISO date as dd/mm/yyyy (mm/yyyy, yyyy). */
function dayFirst(value: string): string {
  return value.split('-').reverse().join('/');
}

function shown(kind: ParamKind | undefined, value: string, lang: Language): string {
  switch (kind) {
    case 'date':
    case 'yearMonth':
      return lang === 'vi' ? dayFirst(value) : value;
    case 'sex':
      return value === 'M' ? pick(lang, 'nam', 'male') : value === 'F' ? pick(lang, 'nữ', 'female') : value;
    case 'field': {
      const names = fieldNames[value];
      return names === undefined ? value : pick(lang, names[0], names[1]);
    }
    case 'label': {
      // 'Họ và tên · Full name': the name in the language.
      const [vi, en] = value.split(' · ');
      return (lang === 'vi' ? vi : en ?? vi) ?? value;
    }
    case 'number':
      return lang === 'vi' ? value.replace('.', ',') : value;
    default:
      return value;
  }
}

/**
 * The detail as an officer reads it: Vietnamese with dates as dd/mm/yyyy and sexes, fields and
 * numbers in words, or English.
 *
 * @example
 * renderDetail(detail('stale', { date: '1980-06-17' }), 'vi') // 'cập nhật lần cuối ngày 17/06/1980'
 */
export function renderDetail(d: FindingDetail, lang: Language): string {
  return fill(templates[d.code][lang], (name) => shown(paramKinds[name], d.params[name] ?? '', lang));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Each code's stored sentence as a pattern, parameters typed so no two codes read the same text. */
const readers: readonly { readonly code: DetailCode; readonly names: readonly string[]; readonly pattern: RegExp }[] = detailCodes.map((code) => {
  const template = templates[code][storedLanguage(code)];
  const names: string[] = [];
  const source = template.split(/(\{\w+\})/).map((part) => {
    const m = /^\{(\w+)\}$/.exec(part);
    if (m?.[1] === undefined) return escapeRegExp(part);
    names.push(m[1]);
    return `(${paramPatterns[paramKinds[m[1]] ?? 'label']})`;
  }).join('');
  return { code, names, pattern: new RegExp(`^${source}$`, 'u') };
});

/**
 * The code and parameters of a stored detail, or null for text no code writes.
 *
 * @example
 * parseDetail('last updated 1980-06-17') // { code: 'stale', params: { date: '1980-06-17' } }
 */
export function parseDetail(text: string): FindingDetail | null {
  for (const reader of readers) {
    const m = reader.pattern.exec(text);
    if (m === null) continue;
    return { code: reader.code, params: Object.fromEntries(reader.names.map((name, i) => [name, m[i + 1] ?? ''])) };
  }
  return null;
}

/**
 * A stored detail in both languages, for the worklist and the reports: the stored text where no
 * code reads it.
 *
 * @example
 * detailTexts('last updated 1980-06-17') // { code: 'stale', vi: 'cập nhật lần cuối ngày 17/06/1980', en: 'last updated 1980-06-17' }
 */
export function detailTexts(text: string): { readonly code: DetailCode | null; readonly vi: string; readonly en: string } {
  const d = parseDetail(text);
  return d === null ? { code: null, vi: text, en: text } : { code: d.code, vi: renderDetail(d, 'vi'), en: renderDetail(d, 'en') };
}
