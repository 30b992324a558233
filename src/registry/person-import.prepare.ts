/**
 * The CPU side of an import, without a store: each row checked as a registration is, and the
 * accepted ones packed as the rows the store will hold (persons, their registration events, their
 * change events). Runs in the import's worker thread (person-import.worker.ts) while the parent
 * writes the batch before; the same code runs in-thread for rows given as an iterable.
 */
import { randomUUID } from 'node:crypto';
import { outboxEntryOf } from '../events/change-event.js';
import { isDomainError, type DomainError } from '../shared/domain-error.js';
import { eventColumns, outboxColumns, personColumns, PackedRowsBuilder, type PackedRows } from '../store/packed-rows.js';
import { vietnamDay } from './partial-date.js';
import { nameFoldedOf, personFactColumns } from './person.projection.js';
import { checkRecording, prepareCheckedRegistration, type RegistrationMoment } from './registration.prepare.js';

/** One row of a person file as read: either its fields or why it could not be read. */
export type ImportRow =
  | { readonly rowNumber: number; readonly record: Readonly<Record<string, string | null>>; readonly line?: number }
  | { readonly rowNumber: number; readonly error: { readonly code: string; readonly message: string } };

/**
 * Why a row was refused: its number, the column at fault when there is one, a stable code and a
 * message written for the code. Never the row's values: a rejection report travels by e-mail and
 * ticket, and the validators' own messages may quote an ID number, a date or a commune.
 */
export interface RowRejection {
  readonly rowNumber: number;
  readonly code: string;
  /** The file's column name (e.g. `birth_date`), when the refusal is about one column. */
  readonly field?: string;
  readonly message: string;
}

/** A batch of rows checked and, unless it was committed by an earlier run, packed for the store. */
export interface PreparedBatch {
  /** Rows of the file in the batch, refused ones included. */
  readonly rows: number;
  /** The refusals of validation and of DUPLICATE_IN_FILE, in row order. */
  readonly rejections: readonly RowRejection[];
  /** ID numbers of the accepted rows, in row order: row i of each packed table is about ids[i]. */
  readonly ids: readonly string[];
  readonly rowNumbers: Int32Array;
  /** The line of the file each accepted row starts on; 0 when the rows came without lines. */
  readonly lines: Int32Array;
  readonly persons: PackedRows;
  /** Row indexes of the persons in ID order. */
  readonly personOrder: Int32Array;
  readonly events: PackedRows;
  readonly outbox: PackedRows;
}

/** Columns of a person file, the snake_case names that `sachsong export` writes, to the facts they hold. */
export const importColumns: ReadonlyMap<string, string> = new Map(Object.entries(personFactColumns).map(([fact, column]) => [column, fact]));
export const ignoredImportColumns: ReadonlySet<string> = new Set(['id_number', 'version', 'created_at', 'updated_at', 'name_folded']);

const reason = 'taken over from an earlier register';

/**
 * Checks and packs batches of one file, in order: it remembers the ID numbers seen, so that a
 * row repeating an earlier one is refused as DUPLICATE_IN_FILE.
 *
 * @example
 * const preparer = new ImportBatchPreparer({ officerId: null });
 * const batch = preparer.prepare(rows, new Date(), true);
 */
export class ImportBatchPreparer {
  private readonly seenInFile = new Set<string>();
  private readonly officerId: string | null;
  private readonly newId: () => string;

  constructor(options: { readonly officerId: string | null; readonly newId?: () => string }) {
    this.officerId = options.officerId;
    this.newId = options.newId ?? randomUUID;
  }

  /**
   * Checks `rows` as of `now`. With `pack` false (a batch an earlier run committed) only the
   * refusals are worked out, so that a resumed run lists the same ones.
   */
  prepare(rows: readonly ImportRow[], now: Date, pack: boolean): PreparedBatch {
    const today = vietnamDay(now);
    // The same for every row: the day, officer and reason recorded.
    checkRecording({ occurredOn: today, officerId: this.officerId, reason }, today);
    const at: RegistrationMoment = { now, today, recordedAt: now.toISOString(), newId: this.newId };
    const rejections: RowRejection[] = [];
    const ids: string[] = [];
    const rowNumbers: number[] = [];
    const lines: number[] = [];
    const persons = new PackedRowsBuilder(personColumns.length, pack ? rows.length : 0);
    const events = new PackedRowsBuilder(eventColumns.length, pack ? rows.length : 0);
    const outbox = new PackedRowsBuilder(outboxColumns.length, pack ? rows.length : 0);
    for (const row of rows) {
      const outcome = this.check(row, at);
      if ('rejection' in outcome) {
        rejections.push(outcome.rejection);
        continue;
      }
      if (!pack) continue;
      const { record: p, event: e } = outcome.prepared;
      ids.push(p.idNumber);
      rowNumbers.push(row.rowNumber);
      lines.push('record' in row ? (row.line ?? 0) : 0);
      // In personColumns order (store/packed-rows.ts): what toPersonRow would give.
      persons.text(p.idNumber);
      persons.text(p.fullName);
      persons.text(nameFoldedOf(p.fullName));
      persons.text(p.birthDate);
      persons.text(p.sex);
      persons.nullable(p.ethnicity);
      persons.nullable(p.religion);
      persons.text(p.nationality);
      persons.text(p.birthProvince);
      persons.nullable(p.birthCommune);
      persons.nullable(p.hometown);
      persons.nullable(p.permanentCommune);
      persons.nullable(p.permanentAddress);
      persons.nullable(p.temporaryCommune);
      persons.nullable(p.temporaryAddress);
      persons.nullable(p.currentCommune);
      persons.nullable(p.currentAddress);
      persons.nullable(p.fatherId);
      persons.nullable(p.motherId);
      persons.nullable(p.spouseId);
      persons.nullable(p.householdId);
      persons.nullable(p.relationshipToHead);
      persons.text(p.status);
      persons.nullable(p.deathDate);
      persons.number(p.version);
      persons.text(p.createdAt);
      persons.text(p.updatedAt);
      // eventColumns order: what lifeEventRow would give.
      events.text(e.eventId);
      events.text(e.personId);
      events.text(e.type);
      events.text(e.occurredOn);
      events.text(e.recordedAt);
      events.nullable(e.officerId);
      events.nullable(e.reason);
      events.text(JSON.stringify(e.data));
      // outboxColumns order: what outboxRowOf would give.
      const change = outboxEntryOf(e, undefined, p);
      outbox.text(change.eventId);
      outbox.text(change.personId);
      outbox.text(change.type);
      outbox.text(JSON.stringify(change.provinces));
      outbox.text(JSON.stringify(Object.keys(change.data)));
      outbox.text(JSON.stringify(change));
      outbox.text(change.recordedAt);
    }
    return {
      rows: rows.length,
      rejections,
      ids,
      rowNumbers: Int32Array.from(rowNumbers),
      lines: Int32Array.from(lines),
      persons: persons.finish(),
      personOrder: keyOrder(ids),
      events: events.finish(),
      outbox: outbox.finish(),
    };
  }

  private check(row: ImportRow, at: RegistrationMoment): { readonly prepared: ReturnType<typeof prepareCheckedRegistration> } | { readonly rejection: RowRejection } {
    if ('error' in row) return { rejection: { rowNumber: row.rowNumber, ...row.error } };
    const idNumber = row.record.id_number ?? '';
    const facts: Record<string, unknown> = {};
    for (const column in row.record) {
      const value = row.record[column];
      const key = importColumns.get(column);
      if (key !== undefined) {
        if (value !== null && value !== undefined && value !== '') facts[key] = value;
      } else if (!ignoredImportColumns.has(column)) {
        // A column name is the file's structure, not personal data.
        return { rejection: { rowNumber: row.rowNumber, code: 'COLUMN_UNKNOWN', field: column, message: `unknown column ${column}` } };
      }
    }
    try {
      const prepared = prepareCheckedRegistration({ type: 'registration', idNumber, occurredOn: at.today, officerId: this.officerId, reason, facts }, at);
      if (this.seenInFile.has(idNumber)) {
        return { rejection: { rowNumber: row.rowNumber, code: 'DUPLICATE_IN_FILE', field: 'id_number', message: 'this ID number appears earlier in the file' } };
      }
      this.seenInFile.add(idNumber);
      return { prepared };
    } catch (error) {
      if (isDomainError(error)) return { rejection: rejectionOf(row.rowNumber, error) };
      throw error;
    }
  }
}

/** Indexes of `keys` in ascending key order. */
export function keyOrder(keys: readonly string[]): Int32Array {
  const order = Int32Array.from(keys.keys());
  return order.sort((a, b) => {
    const x = keys[a] ?? '';
    const y = keys[b] ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Messages for rejection codes, written without values; the column is given beside them. */
const rejectionMessages: Readonly<Record<string, string>> = {
  NAME_MISSING: 'the full name is missing',
  NAME_TOO_LONG: 'the full name is longer than 100 characters',
  NAME_INVALID: 'the full name has characters other than letters, spaces, apostrophes and hyphens',
  FIELD_INVALID: 'the value is not of the expected kind',
  FIELD_TOO_LONG: 'the value is too long',
  FIELD_MISSING: 'a column a registration needs is empty: full name, date of birth, sex and birth province are required',
  FIELD_UNKNOWN: 'the column is not a person field',
  ID_NUMBER_MALFORMED: 'the ID number is not 12 digits',
  ID_NUMBER_MISSING: 'the ID number is missing',
  DATE_INVALID: 'the date is not a real date written YYYY-MM-DD (or YYYY-MM, YYYY where only part is known)',
  DATE_IN_FUTURE: 'the date is after today',
  DATE_ORDER_INVALID: 'the date of death is before the date of birth',
  SEX_INVALID: 'sex must be M or F',
  STATUS_INVALID: 'the status and the date of death do not agree',
  NATIONALITY_INVALID: 'nationality must be a two-letter ISO 3166 code such as VN',
  ADMIN_UNIT_UNKNOWN: 'no administrative unit has this code',
  ADMIN_UNIT_NOT_YET_IN_FORCE: 'the administrative unit was not yet in force on that date',
  ADMIN_UNIT_EXPIRED: 'the administrative unit was no longer in force on that date',
  TEXT_CONTROL_CHARACTER: 'the text holds a control character',
  TEXT_UNPAIRED_SURROGATE: 'the text holds an unpaired surrogate (not valid Unicode)',
  TEXT_FORMAT_CHARACTER: 'the text holds an invisible formatting or bidirectional control character',
  TEXT_REPLACEMENT_CHARACTER: 'the text holds a replacement character (U+FFFD): bytes that could not be decoded',
  TEXT_FORMULA_START: 'the text starts with =, + or @, which spreadsheets run as a formula',
};

/** Columns by the fact names that validation errors carry. */
const columnOf: ReadonlyMap<string, string> = new Map<string, string>([...Object.entries(personFactColumns), ['idNumber', 'id_number']]);

function rejectionOf(rowNumber: number, error: DomainError): RowRejection {
  const fact = error.details?.field;
  const field = typeof fact === 'string' ? (columnOf.get(fact) ?? fact) : error.code.startsWith('ID_') ? 'id_number' : undefined;
  // The validators' own messages may quote the value (an ID number, a date, a commune code): only
  // the code's fixed message goes into the report.
  const message = rejectionMessages[error.code] ?? (error.code.startsWith('ID_') ? 'the ID number does not agree with the date of birth, sex or birth province, or is not valid' : 'the value was refused; see the code');
  return { rowNumber, code: error.code, ...(field === undefined ? {} : { field }), message };
}
