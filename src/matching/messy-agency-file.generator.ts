/**
 * Agency files with the damage real files carry, written independently of agency-file.generator.ts
 * and of the matcher's rules, to measure reconciliation on errors it was not written for: spreadsheet
 * damage to ID numbers (a lost leading zero, scientific notation), several date formats in one file,
 * two-digit years, placeholders for an unknown day, typos in any part of a name, a dropped Thị or Văn,
 * a name in given-name-first order, decomposed (NFD) text, sex written 1/0 or Nam/Nữ, Vietnamese
 * headers and semicolon delimiters; several errors in one row. The truth file names every error of
 * every row, so that figures can be given per kind.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { SeededRandom } from '../registry/population.random.js';
import type { SnapshotPersonWithCard } from './registry-snapshot.engine.js';
import { reconcilePresets, type CanonicalField, type PresetName } from './reconcile.presets.js';

/** The kinds of damage, each drawn independently per row (so a row can carry several). */
export const messyErrorKinds = [
  'invented_person',
  'id_leading_zero_lost', 'id_scientific_notation', 'id_digit_typo', 'id_digits_swapped', 'id_missing',
  'name_given_first', 'name_surname_typo', 'name_middle_typo', 'name_given_typo', 'name_dropped_thi_van',
  'name_no_marks', 'name_upper_case', 'name_nfd',
  'date_other_format', 'date_two_digit_year', 'date_day_month_swapped', 'date_unknown_day_placeholder', 'date_year_only',
  'sex_as_1_0', 'sex_as_nam_nu',
] as const;
export type MessyErrorKind = (typeof messyErrorKinds)[number];

/** Per-row probability of each kind; the defaults give about one error a row, often two or three. */
export const defaultMessyRates: Readonly<Record<MessyErrorKind, number>> = {
  invented_person: 0.02,
  id_leading_zero_lost: 0.03, id_scientific_notation: 0.01, id_digit_typo: 0.03, id_digits_swapped: 0.02, id_missing: 0.01,
  name_given_first: 0.03, name_surname_typo: 0.02, name_middle_typo: 0.02, name_given_typo: 0.02, name_dropped_thi_van: 0.03,
  name_no_marks: 0.05, name_upper_case: 0.08, name_nfd: 0.05,
  date_other_format: 0.1, date_two_digit_year: 0.03, date_day_month_swapped: 0.02, date_unknown_day_placeholder: 0.02, date_year_only: 0.02,
  sex_as_1_0: 0.2, sex_as_nam_nu: 0.3,
};

export interface MessyFileOptions {
  readonly preset: PresetName;
  readonly rows: number;
  readonly seed: number;
  readonly file: string;
  /** row_no, expected_status, expected_person, errors (the kinds, separated by ';'). */
  readonly truthFile: string;
  /** Default ';' (spreadsheets saved in a Vietnamese locale). */
  readonly delimiter?: ',' | ';';
  /** Default true: "STT", "Số CCCD", "Họ và tên", "Ngày sinh", … instead of the preset's column names. */
  readonly vietnameseHeaders?: boolean;
  readonly rates?: Partial<Record<MessyErrorKind, number>>;
}

export interface MessyFileResult {
  readonly rows: number;
  /** Rows carrying each kind. */
  readonly errors: Readonly<Partial<Record<MessyErrorKind, number>>>;
  /** Rows with two or more kinds. */
  readonly severalErrors: number;
}

const vietnameseHeaders: Readonly<Record<CanonicalField, string>> = {
  record: 'STT', id: 'Số CCCD', name: 'Họ và tên', birth: 'Ngày sinh', sex: 'Giới tính', commune: 'Mã xã', line: 'Số thuê bao',
};

const letters = 'abcdeghiklmnopqrstuvxy';

/** One letter (not the first) of a word replaced, dropped or doubled; code points, so marked letters stay whole. */
function typoWord(word: string, random: SeededRandom): string {
  const chars = Array.from(word);
  if (chars.length < 2) return `${word}${letters[random.int(letters.length)] ?? 'a'}`;
  const i = 1 + random.int(chars.length - 1);
  const kind = random.int(3);
  if (kind === 0) {
    let c = letters[random.int(letters.length)] ?? 'a';
    if (c === chars[i]) c = c === 'a' ? 'e' : 'a';
    chars[i] = c;
  } else if (kind === 1) chars.splice(i, 1);
  else chars.splice(i, 0, chars[i] ?? '');
  return chars.join('');
}

function stripMarks(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').normalize('NFC');
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function csvField(value: string, delimiter: string): string {
  return value.includes(delimiter) || /["\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The date formats one file mixes (day first, as Vietnamese forms write it, and ISO). */
const otherFormats: readonly ((y: number, m: number, d: number) => string)[] = [
  (y, m, d) => `${y}-${pad2(m)}-${pad2(d)}`,
  (y, m, d) => `${d}/${m}/${y}`,
  (y, m, d) => `${pad2(d)}-${pad2(m)}-${y}`,
  (y, m, d) => `${pad2(d)}.${pad2(m)}.${y}`,
  (y, m, d) => `${y}${pad2(m)}${pad2(d)}`,
];

/**
 * Writes a messy agency file derived from registry persons, and its truth. Deterministic for
 * (persons, options); written under `.partial` names and renamed when complete.
 *
 * @example
 * generateMessyAgencyFile(persons, { preset: 'tax', rows: 50_000, seed: 1, file: 'tax.csv', truthFile: 'tax.truth.csv' });
 */
export function generateMessyAgencyFile(persons: readonly SnapshotPersonWithCard[], options: MessyFileOptions): MessyFileResult {
  if (persons.length === 0) throw new Error('the registry has no persons to derive an agency file from');
  const preset = reconcilePresets[options.preset];
  const rates = { ...defaultMessyRates, ...options.rates };
  const random = new SeededRandom(`messy:${options.preset}:${options.seed}`);
  const delimiter = options.delimiter ?? ';';
  const fields = (Object.keys(preset.columns) as CanonicalField[]).filter((f) => preset.columns[f] !== undefined);
  const header = fields.map((f) => ((options.vietnameseHeaders ?? true) ? vietnameseHeaders[f] : (preset.columns[f] ?? f)));
  const ids = new Set(persons.map((p) => p.id_number));
  const isoFirst = preset.dateFormats[0] === '%Y-%m-%d';
  const errors: Partial<Record<MessyErrorKind, number>> = {};
  let severalErrors = 0;

  // Each real row a different person: persons dealt in a seeded order.
  const order = Array.from({ length: persons.length }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
  }

  const partial = `${options.file}.partial`;
  const truthPartial = `${options.truthFile}.partial`;
  const out = openSync(partial, 'w');
  const truth = openSync(truthPartial, 'w');
  try {
    let lines: string[] = [`${header.map((h) => csvField(h, delimiter)).join(delimiter)}\n`];
    let truthLines: string[] = ['row_no,expected_status,expected_person,errors\n'];
    for (let r = 0; r < options.rows; r++) {
      const kinds = messyErrorKinds.filter((k) => random.chance(rates[k]));
      const has = (k: MessyErrorKind): boolean => kinds.includes(k);
      const invented = has('invented_person');
      const p = persons[order[r % order.length] ?? 0] as SnapshotPersonWithCard;
      let id = p.id_number;
      let words = p.full_name.split(' ');
      if (invented) {
        // Another person's surname with a third person's other names, the first's birth date, and a number nobody holds.
        const b = persons[random.int(persons.length)] as SnapshotPersonWithCard;
        words = [words[0] ?? '', ...b.full_name.split(' ').slice(1)];
        do id = `${p.id_number.slice(0, 6)}${String(random.int(1_000_000)).padStart(6, '0')}`; while (ids.has(id));
      }
      // ---- the ID --------------------------------------------------------------------------------
      if (has('id_digit_typo')) {
        const i = 6 + random.int(6);
        id = id.slice(0, i) + String((Number(id[i]) + 1 + random.int(9)) % 10) + id.slice(i + 1);
      }
      if (has('id_digits_swapped')) {
        const i = 6 + random.int(5);
        if (id[i] !== id[i + 1]) id = id.slice(0, i) + (id[i + 1] ?? '') + (id[i] ?? '') + id.slice(i + 2);
      }
      if (has('id_leading_zero_lost')) id = id.replace(/^0/, '');
      if (has('id_scientific_notation')) id = Number(id).toExponential(5).toUpperCase();
      if (has('id_missing')) id = '';
      // ---- the name ------------------------------------------------------------------------------
      if (has('name_dropped_thi_van') && words.length > 2) {
        const i = words.findIndex((w, n) => n > 0 && n < words.length - 1 && (w === 'Thị' || w === 'Văn'));
        if (i > 0) words = words.filter((_, n) => n !== i);
      }
      if (has('name_surname_typo')) words[0] = typoWord(words[0] ?? '', random);
      if (has('name_middle_typo') && words.length > 2) {
        const i = 1 + random.int(words.length - 2);
        words[i] = typoWord(words[i] ?? '', random);
      }
      if (has('name_given_typo')) words[words.length - 1] = typoWord(words[words.length - 1] ?? '', random);
      if (has('name_given_first') && words.length > 1) words = [words[words.length - 1] ?? '', ...words.slice(0, -1)];
      let name = words.join(' ');
      if (has('name_no_marks')) name = stripMarks(name);
      if (has('name_upper_case')) name = name.toUpperCase();
      if (has('name_nfd')) name = name.normalize('NFD');
      // ---- the date of birth ---------------------------------------------------------------------
      const y = Number(p.birth_date.slice(0, 4));
      const m = p.birth_date.length >= 7 ? Number(p.birth_date.slice(5, 7)) : 0;
      const d = p.birth_date.length >= 10 ? Number(p.birth_date.slice(8, 10)) : 0;
      let birth: string;
      if (has('date_year_only') || m === 0) birth = String(y);
      else if (has('date_unknown_day_placeholder') || d === 0) birth = random.chance(0.5) ? `00/${pad2(m)}/${y}` : `01/01/${y}`;
      else {
        const [dd, mm] = has('date_day_month_swapped') && d <= 12 && d !== m ? [m, d] : [d, m];
        if (has('date_two_digit_year')) birth = `${pad2(dd)}/${pad2(mm)}/${pad2(y % 100)}`;
        else if (has('date_other_format')) birth = (otherFormats[random.int(otherFormats.length)] ?? otherFormats[0])?.(y, mm, dd) ?? '';
        else birth = isoFirst ? `${y}-${pad2(mm)}-${pad2(dd)}` : `${pad2(dd)}/${pad2(mm)}/${y}`;
      }
      // ---- sex -----------------------------------------------------------------------------------
      const sex = has('sex_as_1_0') ? (p.sex === 'M' ? '1' : '0') : has('sex_as_nam_nu') ? (p.sex === 'M' ? 'Nam' : 'Nữ') : p.sex;
      const values: Record<CanonicalField, string> = {
        record: String(r + 1), id, name, birth, sex,
        commune: (preset.communeOf === 'permanent_commune' ? p.permanent_commune : p.current_commune) ?? '',
        line: `09${String((r * 7_919_993 + 12_345) % 100_000_000).padStart(8, '0')}`,
      };
      lines.push(`${fields.map((f) => csvField(values[f], delimiter)).join(delimiter)}\n`);
      for (const k of kinds) errors[k] = (errors[k] ?? 0) + 1;
      if (kinds.length > 1) severalErrors++;
      truthLines.push(`${r + 1},${invented ? 'NOT_FOUND' : 'MATCHED'},${invented ? '' : p.id_number},${kinds.join(';')}\n`);
      if (lines.length >= 10_000) {
        writeSync(out, lines.join(''));
        writeSync(truth, truthLines.join(''));
        lines = [];
        truthLines = [];
      }
    }
    writeSync(out, lines.join(''));
    writeSync(truth, truthLines.join(''));
    closeSync(out);
    closeSync(truth);
    renameSync(partial, options.file);
    renameSync(truthPartial, options.truthFile);
  } catch (error) {
    rmSync(partial, { force: true });
    rmSync(truthPartial, { force: true });
    throw error;
  }
  return { rows: options.rows, errors, severalErrors };
}
