import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
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

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
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
  const dead: number[] = [];
  for (let i = 0; i < persons.length; i++) if (persons[i]?.status === 'deceased') dead.push(i);

  // Persons in a random order, dealt out one by one so that each real row is a different person.
  const order = new Uint32Array(persons.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = t;
  }
  let dealt = 0;
  const deal = (): number => {
    const i = order[dealt % order.length] ?? 0;
    dealt++;
    return i;
  };
  let deadDealt = 0;
  let lineCounter = 0;
  const newLine = (): string => {
    lineCounter++;
    // A bijective scramble of the counter keeps numbers unique without a set.
    return `09${String((lineCounter * 7_919_993 + 12_345) % 100_000_000).padStart(8, '0')}`;
  };

  const specs: RowSpec[] = [];
  const cosmetic = (): { upper: boolean; oldUnit: boolean } => ({ upper: random.chance(rates.upperCase), oldUnit: random.chance(rates.oldUnitCode) });
  const pickError = (): AgencyErrorKind | null => {
    const u = random.next();
    let acc = 0;
    const table: readonly (readonly [AgencyErrorKind, number])[] = [
      ['invented_person', rates.invented], ['invalid_id', rates.invalidId], ['id_typo', rates.idTypo], ['dead_person', rates.dead],
      ['duplicate', rates.duplicate], ['name_typo', rates.nameTypo], ['missing_marks', rates.missingMarks],
      ['swapped_date', rates.swappedDate], ['impossible_date', rates.impossibleDate],
      ['moved_address', preset.compare.includes('commune') ? rates.movedAddress : 0], ['old_card_number', rates.oldCard],
      ['wrong_sex', preset.compare.includes('sex') ? rates.wrongSex : 0], ['bad_row', rates.badRow],
    ];
    for (const [kind, p] of table) {
      acc += p;
      if (u < acc) return kind;
    }
    return null;
  };

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
    let person: number;
    if (error === 'dead_person' && deadDealt < dead.length) person = dead[deadDealt++] ?? deal();
    else person = deal();
    const realError = error === 'dead_person' || error === 'duplicate' ? null : error;
    if (preset.uniqueBy === 'line') {
      // Subscribers hold one to three lines; a few hold more than the limit allows.
      const heavy = random.chance(rates.heavySubscribers);
      const lines = heavy && preset.maxLinesPerPerson !== null ? preset.maxLinesPerPerson + 1 + random.int(4) : random.chance(0.7) ? 1 : random.chance(0.67) ? 2 : 3;
      for (let n = 0; n < lines && specs.length < options.rows; n++) {
        specs.push({ person, error: n === 0 ? (error === 'dead_person' ? 'dead_person' : realError) : null, line: newLine(), ...cosmetic() });
      }
      if (heavy) specs[specs.length - 1] = { ...(specs[specs.length - 1] as RowSpec), error: 'many_sims' };
    } else {
      specs.push({ person, error: error === 'dead_person' ? 'dead_person' : realError, line: '', ...cosmetic() });
    }
  }

  // Rows in a random order (a subscriber's lines and a duplicate's original land anywhere).
  for (let i = specs.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = specs[i] as RowSpec;
    specs[i] = specs[j] as RowSpec;
    specs[j] = t;
  }

  const reverseCommunes = new Map<string, string[]>();
  const forward = new Map<string, Set<string>>();
  for (const [code, today] of communeCodeMap()) {
    if (code !== today) reverseCommunes.set(today, [...(reverseCommunes.get(today) ?? []), code]);
    forward.set(code, (forward.get(code) ?? new Set<string>()).add(today));
  }
  const communes2025 = [...new Set(communeCodeMap().map(([, today]) => today))];

  const partial = `${options.file}.partial`;
  const truthPartial = `${options.truthFile}.partial`;
  const out = openSync(partial, 'w');
  const truth = openSync(truthPartial, 'w');
  const expected = { BAD_ROW: 0, INVALID_ID: 0, NOT_FOUND: 0, CLERICAL_REVIEW: 0, PROBABLE_MATCH: 0, DUPLICATE_IN_SOURCE: 0, DECEASED: 0, OVER_LIMIT: 0, MISMATCH: 0, MATCHED: 0 } satisfies Record<ReconcileStatus, number>;
  const errors: Partial<Record<AgencyErrorKind, number>> = {};
  const seen = new Set<string>();
  const linesOf = new Map<number, number>();
  const dateFormat = preset.dateFormats[0] ?? '%d/%m/%Y';
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
      const record = `${options.preset.slice(0, 1).toUpperCase()}${String(rowNo).padStart(9, '0')}`;
      let status: ReconcileStatus;
      let expectedPerson = '';
      let id: string;
      let name: string;
      let birth: string;
      let sex: string;
      let commune: string;
      const error = spec.error;
      if (error !== null) errors[error] = (errors[error] ?? 0) + 1;
      if (spec.oldUnit) errors.old_unit_code = (errors.old_unit_code ?? 0) + 1;
      if (spec.upper) errors.upper_case = (errors.upper_case ?? 0) + 1;

      if (spec.person < 0) {
        // An invented person: real-looking name parts and an ID of the right shape that nobody holds.
        const a = persons[random.int(persons.length)] as SnapshotPersonWithCard;
        // Not a's own name again (common middle and given names make that likely): that would be a, not an invented person.
        let tries = 0;
        do {
          const b = persons[random.int(persons.length)] as SnapshotPersonWithCard;
          name = `${a.full_name.split(' ')[0] ?? ''} ${b.full_name.split(' ').slice(1).join(' ')}`.trim();
        } while (name === a.full_name && ++tries < 20);
        do {
          id = `${a.id_number.slice(0, 6)}${String(random.int(1_000_000)).padStart(6, '0')}`;
        } while (ids.has(id));
        const { y, m, d } = fullDate(a.birth_date, random);
        birth = writeDate(dateFormat, y, m, d);
        sex = a.sex;
        commune = a.current_commune ?? '';
        status = 'NOT_FOUND';
        // Some carry a malformed number too: a letter keyed for a digit, and nobody to find by name.
        if (random.chance(0.2)) {
          id = `${id.slice(0, 5)}O${id.slice(6)}`;
          status = 'INVALID_ID';
        }
      } else {
        const p = persons[spec.person] as SnapshotPersonWithCard;
        id = p.id_number;
        name = p.full_name;
        const parts = fullDate(p.birth_date, random);
        birth = writeDate(dateFormat, parts.y, parts.m, parts.d);
        sex = p.sex;
        commune = (preset.communeOf === 'permanent_commune' ? p.permanent_commune : p.current_commune) ?? '';
        const registryCommune = commune;
        let mismatch = false;
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
          case 'moved_address': {
            for (let tries = 0; tries < 20; tries++) {
              const other = communes2025[random.int(communes2025.length)] ?? '';
              if (!(forward.get(other)?.has(registryCommune) ?? false)) {
                commune = other;
                break;
              }
            }
            break;
          }
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
          const olds = reverseCommunes.get(commune);
          if (olds !== undefined && olds.length > 0) commune = olds[random.int(olds.length)] ?? commune;
        }
        if (spec.upper) name = name.toUpperCase();
        // What actually differs in the written row (an error can be a no-op, e.g. no marks to drop).
        if (name.normalize('NFC').toLowerCase() !== p.full_name.toLowerCase()) mismatch = true;
        const writtenIso = error === 'impossible_date' ? null : dateFormat === '%Y-%m-%d' ? birth : `${birth.slice(6, 10)}-${birth.slice(3, 5)}-${birth.slice(0, 2)}`;
        if (writtenIso?.startsWith(p.birth_date) !== true) mismatch = true;
        if (preset.compare.includes('sex') && sex !== p.sex) mismatch = true;
        if (preset.compare.includes('commune') && !(forward.get(commune)?.has(registryCommune) ?? false)) mismatch = true;
        if (id !== p.id_number && id === p.old_card) mismatch = true;

        if (error === 'bad_row') status = 'BAD_ROW';
        else if (found === 'PROBABLE_MATCH') {
          status = found;
          expectedPerson = p.id_number;
        } else if (found !== undefined) status = found;
        else if (error === 'invalid_id') status = 'INVALID_ID';
        else if (!linked) status = 'NOT_FOUND';
        else {
          expectedPerson = p.id_number;
          const key = preset.uniqueBy === 'line' ? `${p.id_number}|${spec.line}` : p.id_number;
          if (seen.has(key)) status = 'DUPLICATE_IN_SOURCE';
          else {
            seen.add(key);
            const count = (linesOf.get(spec.person) ?? 0) + 1;
            linesOf.set(spec.person, count);
            if (p.status === 'deceased') status = 'DECEASED';
            else if (preset.maxLinesPerPerson !== null && preset.uniqueBy === 'line' && count > preset.maxLinesPerPerson) status = 'OVER_LIMIT';
            else status = mismatch ? 'MISMATCH' : 'MATCHED';
          }
        }
      }

      const values: Record<string, string> = {
        tax_record_no: record, contract_no: record, cif: record, beneficiary_no: record,
        id_number: id, subscriber_id: id,
        taxpayer_name: name, subscriber_name: name, customer_name: name, full_name: name,
        birth_date: birth, date_of_birth: birth,
        sex, gender: sex === 'M' ? 'Nam' : 'Nữ',
        commune_code: commune, msisdn: spec.line,
      };
      const fields = header.map((h) => csvField(values[h] ?? ''));
      if (error === 'bad_row') {
        if (random.chance(0.5)) buffer.push(`${fields.slice(0, -1).join(',')}\n`);
        else buffer.push(Buffer.from(`${fields.slice(0, 2).join(',')},`), Buffer.from([0x4e, 0xe9, 0x75]), Buffer.from(`,${fields.slice(3).join(',')}\n`));
      } else buffer.push(`${fields.join(',')}\n`);
      expected[status]++;
      truthBuffer.push(`${rowNo},${status},${expectedPerson},${error ?? ''}\n`);
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
