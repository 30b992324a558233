import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { SeededRandom } from '../registry/population.random.js';
import { communeCodeMap } from './registry-snapshot.communes.js';
import type { SnapshotPersonWithCard } from './registry-snapshot.engine.js';
import { reconcilePresets, type PresetName, type ReconcileStatus } from './reconcile.presets.js';

/**
 * Kinds of error the generator puts into agency rows, each as an agency's data really goes wrong.
 * A row gets at most one of these (so that each row's expected status is unambiguous), plus the
 * harmless habits (`upper_case`, `old_unit_code`) that a good reconciliation must see through.
 */
export const agencyErrorKinds = [
  'name_typo', 'missing_marks', 'swapped_date', 'impossible_date', 'moved_address', 'old_card_number', 'wrong_sex',
  'id_typo', 'invalid_id', 'invented_person', 'dead_person', 'duplicate', 'many_sims', 'bad_row',
  'upper_case', 'old_unit_code',
] as const;
export type AgencyErrorKind = (typeof agencyErrorKinds)[number];

/** Shares of rows (0-1) for each error; the defaults are what the benchmark and tests use. */
export interface AgencyErrorRates {
  readonly invented: number;
  readonly invalidId: number;
  readonly idTypo: number;
  readonly dead: number;
  readonly duplicate: number;
  readonly nameTypo: number;
  readonly missingMarks: number;
  readonly swappedDate: number;
  readonly impossibleDate: number;
  readonly movedAddress: number;
  readonly oldCard: number;
  readonly wrongSex: number;
  readonly badRow: number;
  readonly upperCase: number;
  readonly oldUnitCode: number;
  /** Telecom: share of subscribers holding more lines than the limit. */
  readonly heavySubscribers: number;
}

export const defaultErrorRates: AgencyErrorRates = {
  invented: 0.02, invalidId: 0.005, idTypo: 0.003, dead: 0.01, duplicate: 0.005, nameTypo: 0.02, missingMarks: 0.03,
  swappedDate: 0.01, impossibleDate: 0.002, movedAddress: 0.02, oldCard: 0.03, wrongSex: 0.003, badRow: 0.0002,
  upperCase: 0.1, oldUnitCode: 0.05, heavySubscribers: 0.002,
};

export interface AgencyFileOptions {
  readonly preset: PresetName;
  readonly rows: number;
  readonly seed: number;
  /** Where the agency CSV goes. */
  readonly file: string;
  /** Where the ground truth goes: row_no, expected_status, expected_person, error. */
  readonly truthFile: string;
  readonly rates?: Partial<AgencyErrorRates>;
}

/** What the generator wrote. */
export interface AgencyFileResult {
  readonly rows: number;
  readonly expected: Readonly<Record<ReconcileStatus, number>>;
  readonly errors: Readonly<Partial<Record<AgencyErrorKind, number>>>;
}

interface RowSpec {
  /** Index into persons, or -1 for an invented person. */
  readonly person: number;
  readonly error: AgencyErrorKind | null;
  /** Telecom line (msisdn) of the row. */
  readonly line: string;
  readonly upper: boolean;
  readonly oldUnit: boolean;
}

const headers: Readonly<Record<PresetName, readonly string[]>> = {
  tax: ['tax_record_no', 'id_number', 'taxpayer_name', 'birth_date'],
  telecom: ['contract_no', 'subscriber_id', 'subscriber_name', 'birth_date', 'sex', 'msisdn'],
  bank: ['cif', 'id_number', 'customer_name', 'date_of_birth', 'gender', 'commune_code'],
  welfare: ['beneficiary_no', 'id_number', 'full_name', 'birth_date', 'commune_code'],
};

const letters = 'abcdeghiklmnopqrstuvxy';

/** One CSV field as csv-stringify writes it (quoted when it holds a comma, a quote or a line break). */
function csvField(value: string): string {
  return stringify([[value]], { record_delimiter: '' });
}

function stripMarks(name: string): string {
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').normalize('NFC');
}

/** One letter of the given name (the last word) replaced, dropped or doubled. */
function typo(name: string, random: SeededRandom): string {
  const words = name.split(' ');
  const last = words.length - 1;
  const word = words[last] ?? '';
  if (word.length < 2) return `${name}${letters[random.int(letters.length)] ?? 'a'}`;
  const i = 1 + random.int(word.length - 1);
  const kind = random.int(3);
  let changed: string;
  if (kind === 0) {
    let c = letters[random.int(letters.length)] ?? 'a';
    if (c === word[i]) c = c === 'a' ? 'e' : 'a';
    changed = word.slice(0, i) + c + word.slice(i + 1);
  } else if (kind === 1) changed = word.slice(0, i) + word.slice(i + 1);
  else changed = word.slice(0, i) + (word[i] ?? '') + word.slice(i);
  words[last] = changed;
  return words.join(' ');
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** A full date for the agency (filling a partial registry date the way agencies do), and its parts. */
function fullDate(birth: string, random: SeededRandom): { y: number; m: number; d: number } {
  const y = Number(birth.slice(0, 4));
  const m = birth.length >= 7 ? Number(birth.slice(5, 7)) : 1 + random.int(12);
  const d = birth.length >= 10 ? Number(birth.slice(8, 10)) : 1 + random.int(28);
  return { y, m, d };
}

function writeDate(format: string, y: number, m: number, d: number): string {
  return format === '%Y-%m-%d' ? `${y}-${pad2(m)}-${pad2(d)}` : `${pad2(d)}/${pad2(m)}/${y}`;
}

/** The error kinds a row can draw, with their rates (those a preset cannot show are 0). */
function errorTable(rates: AgencyErrorRates, compare: readonly string[]): readonly (readonly [AgencyErrorKind, number])[] {
  return [
    ['invented_person', rates.invented], ['invalid_id', rates.invalidId], ['id_typo', rates.idTypo], ['dead_person', rates.dead],
    ['duplicate', rates.duplicate], ['name_typo', rates.nameTypo], ['missing_marks', rates.missingMarks],
    ['swapped_date', rates.swappedDate], ['impossible_date', rates.impossibleDate],
    ['moved_address', compare.includes('commune') ? rates.movedAddress : 0], ['old_card_number', rates.oldCard],
    ['wrong_sex', compare.includes('sex') ? rates.wrongSex : 0], ['bad_row', rates.badRow],
  ];
}

/** Shuffles in place (Fisher–Yates, the generator's random). */
function shuffle(items: unknown[], random: SeededRandom): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
}

/**
 * The rows to write, in a random order: which person each is (dealt one by one, so that each real
 * row is a different person; deceased ones for `dead_person`), its error, its line and habits.
 */
function planRows(persons: readonly SnapshotPersonWithCard[], options: AgencyFileOptions, rates: AgencyErrorRates, random: SeededRandom): RowSpec[] {
  const preset = reconcilePresets[options.preset];
  const dead: number[] = [];
  for (let i = 0; i < persons.length; i++) if (persons[i]?.status === 'deceased') dead.push(i);
  const order = new Uint32Array(persons.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = t;
  }
  let dealt = 0;
  const deal = (): number => order[dealt++ % order.length] ?? 0;
  let deadDealt = 0;
  let lineCounter = 0;
  // A bijective scramble of the counter keeps numbers unique without a set.
  const newLine = (): string => `09${String((++lineCounter * 7_919_993 + 12_345) % 100_000_000).padStart(8, '0')}`;
  const cosmetic = (): { upper: boolean; oldUnit: boolean } => ({ upper: random.chance(rates.upperCase), oldUnit: random.chance(rates.oldUnitCode) });
  const table = errorTable(rates, preset.compare);
  const pickError = (): AgencyErrorKind | null => {
    const u = random.next();
    let acc = 0;
    for (const [kind, p] of table) {
      acc += p;
      if (u < acc) return kind;
    }
    return null;
  };

  const specs: RowSpec[] = [];
  while (specs.length < options.rows) {
    const error = pickError();
    if (error === 'duplicate' && specs.length > 0) {
      const earlier = specs[random.int(specs.length)];
      if (earlier !== undefined && earlier.person >= 0 && earlier.error === null) {
        specs.push({ ...earlier, error: 'duplicate', ...cosmetic() });
        continue;
      }
    }
    if (error === 'invented_person') {
      specs.push({ person: -1, error, line: newLine(), ...cosmetic() });
      continue;
    }
    const person = error === 'dead_person' && deadDealt < dead.length ? dead[deadDealt++] ?? deal() : deal();
    const rowError = error === 'dead_person' ? 'dead_person' : error === 'duplicate' ? null : error;
    if (preset.uniqueBy !== 'line') {
      specs.push({ person, error: rowError, line: '', ...cosmetic() });
      continue;
    }
    // Subscribers hold one to three lines; a few hold more than the limit allows.
    const heavy = random.chance(rates.heavySubscribers);
    const lines = heavy && preset.maxLinesPerPerson !== null ? preset.maxLinesPerPerson + 1 + random.int(4) : random.chance(0.7) ? 1 : random.chance(0.67) ? 2 : 3;
    for (let n = 0; n < lines && specs.length < options.rows; n++) specs.push({ person, error: n === 0 ? rowError : null, line: newLine(), ...cosmetic() });
    if (heavy) specs[specs.length - 1] = { ...(specs[specs.length - 1] as RowSpec), error: 'many_sims' };
  }
  // Rows in a random order (a subscriber's lines and a duplicate's original land anywhere).
  shuffle(specs, random);
  return specs;
}

/** The 2025 commune codes, the older codes of each, and which 2025 codes an older code became. */
interface CommuneTables {
  readonly communes2025: readonly string[];
  readonly olderCodes: ReadonlyMap<string, readonly string[]>;
  readonly becomes: ReadonlyMap<string, ReadonlySet<string>>;
}

function communeTables(): CommuneTables {
  const olderCodes = new Map<string, string[]>();
  const becomes = new Map<string, Set<string>>();
  for (const [code, today] of communeCodeMap()) {
    if (code !== today) olderCodes.set(today, [...(olderCodes.get(today) ?? []), code]);
    becomes.set(code, (becomes.get(code) ?? new Set<string>()).add(today));
  }
  return { communes2025: [...new Set(communeCodeMap().map(([, today]) => today))], olderCodes, becomes };
}

/** A row's written values and what a correct reconciliation must make of it. */
interface DerivedRow {
  readonly id: string;
  readonly name: string;
  readonly birth: string;
  readonly sex: string;
  readonly commune: string;
  readonly status: ReconcileStatus;
  readonly expectedPerson: string;
}

/** What the derivation of rows needs besides the row: the persons, the preset, the commune tables, and who was seen. */
interface RowContext {
  readonly persons: readonly SnapshotPersonWithCard[];
  readonly ids: ReadonlySet<string>;
  readonly options: AgencyFileOptions;
  readonly dateFormat: string;
  readonly communes: CommuneTables;
  readonly random: SeededRandom;
  /** Persons (or person and line) already written once: a second row is a duplicate in the source. */
  readonly seen: Set<string>;
  /** Lines written a person so far. */
  readonly linesOf: Map<number, number>;
}

/** An invented person: real-looking name parts and an ID of the right shape that nobody holds. */
function inventedRow(c: RowContext): DerivedRow {
  const { persons, random } = c;
  const a = persons[random.int(persons.length)] as SnapshotPersonWithCard;
  // Not a's own name again (common middle and given names make that likely): that would be a, not an invented person.
  let name: string;
  let tries = 0;
  do {
    const b = persons[random.int(persons.length)] as SnapshotPersonWithCard;
    name = `${a.full_name.split(' ')[0] ?? ''} ${b.full_name.split(' ').slice(1).join(' ')}`.trim();
  } while (name === a.full_name && ++tries < 20);
  let id: string;
  do {
    id = `${a.id_number.slice(0, 6)}${String(random.int(1_000_000)).padStart(6, '0')}`;
  } while (c.ids.has(id));
  const { y, m, d } = fullDate(a.birth_date, random);
  const birth = writeDate(c.dateFormat, y, m, d);
  // Some carry a malformed number too: a letter keyed for a digit, and nobody to find by name.
  const malformed = random.chance(0.2);
  return { id: malformed ? `${id.slice(0, 5)}O${id.slice(6)}` : id, name, birth, sex: a.sex, commune: a.current_commune ?? '', status: malformed ? 'INVALID_ID' : 'NOT_FOUND', expectedPerson: '' };
}

/** A registry person as the agency wrote them, with the row's error applied, and the status it must get. */
function personRow(c: RowContext, spec: RowSpec): DerivedRow {
  const { random, dateFormat, communes } = c;
  const preset = reconcilePresets[c.options.preset];
  const p = c.persons[spec.person] as SnapshotPersonWithCard;
  const error = spec.error;
  let id = p.id_number;
  let name = p.full_name;
  const parts = fullDate(p.birth_date, random);
  let birth = writeDate(dateFormat, parts.y, parts.m, parts.d);
  let sex: string = p.sex;
  const registryCommune = (preset.communeOf === 'permanent_commune' ? p.permanent_commune : p.current_commune) ?? '';
  let commune = registryCommune;
  let linked = true;
  /** What the search by name and birth date makes of a row whose ID fails. */
  let found: 'PROBABLE_MATCH' | 'CLERICAL_REVIEW' | undefined;
  switch (error) {
    case 'name_typo': name = typo(name, random); break;
    case 'missing_marks': name = stripMarks(name); break;
    case 'swapped_date':
      if (p.birth_date.length === 10 && parts.d <= 12 && parts.d !== parts.m) birth = writeDate(dateFormat, parts.y, parts.d, parts.m);
      break;
    case 'impossible_date': birth = writeDate(dateFormat, parts.y, 2, 30); break;
    case 'moved_address':
      for (let tries = 0; tries < 20; tries++) {
        const other = communes.communes2025[random.int(communes.communes2025.length)] ?? '';
        if (!(communes.becomes.get(other)?.has(registryCommune) ?? false)) {
          commune = other;
          break;
        }
      }
      break;
    case 'old_card_number': if (p.old_card !== null) id = p.old_card; break;
    case 'wrong_sex': sex = sex === 'M' ? 'F' : 'M'; break;
    case 'id_typo': {
      const i = 6 + random.int(6);
      const digit = (Number(id[i]) + 1 + random.int(9)) % 10;
      id = id.slice(0, i) + String(digit) + id.slice(i + 1);
      linked = false;
      found = 'PROBABLE_MATCH';
      break;
    }
    case 'invalid_id': {
      const kind = random.int(4);
      id = kind === 0 ? id.slice(0, 11) : kind === 1 ? `${id.slice(0, 5)}O${id.slice(6)}` : kind === 2 ? `1${id.slice(1)}` : `${id.slice(0, 3)}299${id.slice(6)}`;
      // A letter for a digit, or one digit wrong, leaves a number the search by name and birth date
      // can still tie to the person; a truncated or thrice-changed number only suggests them.
      found = kind === 1 || kind === 2 ? 'PROBABLE_MATCH' : 'CLERICAL_REVIEW';
      break;
    }
    default: break;
  }
  if (spec.oldUnit && commune === registryCommune) {
    const olds = communes.olderCodes.get(commune);
    if (olds !== undefined && olds.length > 0) commune = olds[random.int(olds.length)] ?? commune;
  }
  if (spec.upper) name = name.toUpperCase();
  const written = { id, name, birth, sex, commune };
  const status = personRowStatus(c, spec, p, { linked, found, mismatch: differs(c, p, registryCommune, written, error) });
  return { ...written, status, expectedPerson: status === 'BAD_ROW' || status === 'CLERICAL_REVIEW' || status === 'INVALID_ID' || status === 'NOT_FOUND' ? '' : p.id_number };
}

/** Whether the written row differs from the registry in a compared field (an error can be a no-op, e.g. no marks to drop). */
function differs(c: RowContext, p: SnapshotPersonWithCard, registryCommune: string, w: { readonly id: string; readonly name: string; readonly birth: string; readonly sex: string; readonly commune: string }, error: AgencyErrorKind | null): boolean {
  const preset = reconcilePresets[c.options.preset];
  if (w.name.normalize('NFC').toLowerCase() !== p.full_name.toLowerCase()) return true;
  const writtenIso = error === 'impossible_date' ? null : c.dateFormat === '%Y-%m-%d' ? w.birth : `${w.birth.slice(6, 10)}-${w.birth.slice(3, 5)}-${w.birth.slice(0, 2)}`;
  if (writtenIso?.startsWith(p.birth_date) !== true) return true;
  if (preset.compare.includes('sex') && w.sex !== p.sex) return true;
  if (preset.compare.includes('commune') && !(c.communes.becomes.get(w.commune)?.has(registryCommune) ?? false)) return true;
  return w.id !== p.id_number && w.id === p.old_card;
}

/** The status a correct reconciliation gives a registry person's row. */
function personRowStatus(c: RowContext, spec: RowSpec, p: SnapshotPersonWithCard, outcome: { readonly linked: boolean; readonly found: 'PROBABLE_MATCH' | 'CLERICAL_REVIEW' | undefined; readonly mismatch: boolean }): ReconcileStatus {
  const preset = reconcilePresets[c.options.preset];
  if (spec.error === 'bad_row') return 'BAD_ROW';
  if (outcome.found !== undefined) return outcome.found;
  if (spec.error === 'invalid_id') return 'INVALID_ID';
  if (!outcome.linked) return 'NOT_FOUND';
  const key = preset.uniqueBy === 'line' ? `${p.id_number}|${spec.line}` : p.id_number;
  if (c.seen.has(key)) return 'DUPLICATE_IN_SOURCE';
  c.seen.add(key);
  const count = (c.linesOf.get(spec.person) ?? 0) + 1;
  c.linesOf.set(spec.person, count);
  if (p.status === 'deceased') return 'DECEASED';
  if (preset.maxLinesPerPerson !== null && preset.uniqueBy === 'line' && count > preset.maxLinesPerPerson) return 'OVER_LIMIT';
  return outcome.mismatch ? 'MISMATCH' : 'MATCHED';
}

/** The row's CSV line(s): a bad row loses its last field or carries a byte that is not UTF-8. */
function csvLine(header: readonly string[], record: string, row: DerivedRow, spec: RowSpec, random: SeededRandom): (string | Buffer)[] {
  const values: Record<string, string> = {
    tax_record_no: record, contract_no: record, cif: record, beneficiary_no: record,
    id_number: row.id, subscriber_id: row.id,
    taxpayer_name: row.name, subscriber_name: row.name, customer_name: row.name, full_name: row.name,
    birth_date: row.birth, date_of_birth: row.birth,
    sex: row.sex, gender: row.sex === 'M' ? 'Nam' : 'Nữ',
    commune_code: row.commune, msisdn: spec.line,
  };
  const fields = header.map((h) => csvField(values[h] ?? ''));
  if (spec.error !== 'bad_row') return [`${fields.join(',')}\n`];
  if (random.chance(0.5)) return [`${fields.slice(0, -1).join(',')}\n`];
  return [Buffer.from(`${fields.slice(0, 2).join(',')},`), Buffer.from([0x4e, 0xe9, 0x75]), Buffer.from(`,${fields.slice(3).join(',')}\n`)];
}

/**
 * Derives a synthetic agency file (tax, telecom, bank or welfare) from a registry's persons, with
 * realistic errors and a ground-truth sidecar giving each row's expected status and person.
 * Deterministic for (persons, options). Written to `<file>.partial` and renamed when complete.
 *
 * @example
 * const persons = await readSnapshotPersons(snapshotDir);
 * generateAgencyFile(persons, { preset: 'telecom', rows: 100_000, seed: 1, file: 'telecom.csv', truthFile: 'telecom.truth.csv' });
 */
export function generateAgencyFile(persons: readonly SnapshotPersonWithCard[], options: AgencyFileOptions): AgencyFileResult {
  const preset = reconcilePresets[options.preset];
  const rates = { ...defaultErrorRates, ...options.rates };
  const random = new SeededRandom(`agency:${options.preset}:${options.seed}`);
  if (persons.length === 0) throw new Error('the registry has no persons to derive an agency file from');
  const ids = new Set(persons.map((p) => p.id_number));
  const specs = planRows(persons, options, rates, random);
  const c: RowContext = { persons, ids, options, dateFormat: preset.dateFormats[0] ?? '%d/%m/%Y', communes: communeTables(), random, seen: new Set<string>(), linesOf: new Map<number, number>() };

  const partial = `${options.file}.partial`;
  const truthPartial = `${options.truthFile}.partial`;
  const out = openSync(partial, 'w');
  const truth = openSync(truthPartial, 'w');
  const expected = { BAD_ROW: 0, INVALID_ID: 0, NOT_FOUND: 0, CLERICAL_REVIEW: 0, PROBABLE_MATCH: 0, DUPLICATE_IN_SOURCE: 0, DECEASED: 0, OVER_LIMIT: 0, MISMATCH: 0, MATCHED: 0 } satisfies Record<ReconcileStatus, number>;
  const errors: Partial<Record<AgencyErrorKind, number>> = {};
  const header = headers[options.preset];
  let buffer: (string | Buffer)[] = [`${header.join(',')}\n`];
  let truthBuffer: string[] = ['row_no,expected_status,expected_person,error\n'];
  const flush = (): void => {
    writeSync(out, Buffer.concat(buffer.map((b) => (typeof b === 'string' ? Buffer.from(b) : b))));
    writeSync(truth, truthBuffer.join(''));
    buffer = [];
    truthBuffer = [];
  };
  try {
    for (let r = 0; r < specs.length; r++) {
      const spec = specs[r] as RowSpec;
      const rowNo = r + 1;
      if (spec.error !== null) errors[spec.error] = (errors[spec.error] ?? 0) + 1;
      if (spec.oldUnit) errors.old_unit_code = (errors.old_unit_code ?? 0) + 1;
      if (spec.upper) errors.upper_case = (errors.upper_case ?? 0) + 1;
      const row = spec.person < 0 ? inventedRow(c) : personRow(c, spec);
      buffer.push(...csvLine(header, `${options.preset.slice(0, 1).toUpperCase()}${String(rowNo).padStart(9, '0')}`, row, spec, random));
      expected[row.status]++;
      truthBuffer.push(`${rowNo},${row.status},${row.expectedPerson},${spec.error ?? ''}\n`);
      if (buffer.length >= 10_000) flush();
    }
    flush();
    closeSync(out);
    closeSync(truth);
    renameSync(partial, options.file);
    renameSync(truthPartial, options.truthFile);
  } catch (error) {
    rmSync(partial, { force: true });
    rmSync(truthPartial, { force: true });
    throw error;
  }
  return { rows: specs.length, expected, errors };
}
