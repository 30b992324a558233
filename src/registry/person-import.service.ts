import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { DomainError, isDomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { outboxEntryOf } from '../events/change-event.js';
import { personFactColumns } from './person.projection.js';
import type { PersonRecord } from './person.types.js';
import type { RegistryService } from './registry.service.js';
import { importBatchRepository } from './import-batch.repository.js';
import type { LifeEvent } from './life-event.types.js';
import { vietnamDay } from './partial-date.js';

/** One row of a person file as read: either its fields or why it could not be read. */
export type ImportRow =
  | { readonly rowNumber: number; readonly record: Readonly<Record<string, string | null>> }
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

export interface ImportReport {
  readonly importId: string;
  readonly rowsRead: number;
  /**
   * Rows of this file that are in the registry: committed by this run, plus those that the skipped
   * batches recorded as accepted when an earlier run committed them (never re-counted by
   * re-validation, so a re-run of a file whose rows were all refused still says 0).
   */
  readonly accepted: number;
  /** Rows refused: by this run, plus those that the skipped batches recorded as refused. */
  readonly rejected: number;
  /** Of `accepted`, the rows committed by an earlier run (in skipped batches). */
  readonly acceptedEarlier: number;
  /** Of `rejected`, the rows refused by an earlier run (in skipped batches). */
  readonly rejectedEarlier: number;
  /** Batches already committed by an earlier, interrupted run of the same import. */
  readonly batchesSkipped: number;
  readonly batchesCommitted: number;
  /**
   * Every row refused by this run, and the rows of skipped batches that validation refuses again.
   * A row of a skipped batch refused then as already in the registry is counted in `rejected` but
   * listed only in the earlier run's report: its number is in the registry now either way.
   */
  readonly rejections: readonly RowRejection[];
}

export interface ImportOptions {
  /** Identifies the file and settings, so that a re-run resumes (e.g. its SHA-256 and batch size). */
  readonly importId: string;
  readonly batchSize: number;
  readonly officerId: string | null;
  readonly onProgress?: (rowsRead: number) => void;
}

/** Columns of a person file, the snake_case names that `sachsong export` writes, to the facts they hold. */
const columns: ReadonlyMap<string, string> = new Map(Object.entries(personFactColumns).map(([fact, column]) => [column, fact]));
const ignoredColumns = new Set(['id_number', 'version', 'created_at', 'updated_at', 'name_folded']);

/**
 * Checks a CSV header before any row is read: a column sachsong does not know, or a missing
 * id_number, would reject every row one by one; this is one error naming them and the columns
 * expected. Column names are the file's structure, not personal data.
 *
 * @throws DomainError FILE_COLUMNS_UNKNOWN, FILE_ID_COLUMN_MISSING
 * @example
 * checkImportHeader(['id_number', 'full_name', 'birth_date']);
 */
export function checkImportHeader(header: readonly string[]): void {
  const expected = ['id_number', ...columns.keys()].join(', ');
  const unknown = header.filter((column) => !columns.has(column) && !ignoredColumns.has(column) && column !== 'id_number');
  if (unknown.length > 0) {
    throw new DomainError(
      'invalid', 'FILE_COLUMNS_UNKNOWN',
      `the header row has ${unknown.length === 1 ? 'a column' : `${unknown.length} columns`} sachsong does not know: ${unknown.join(', ')}`,
      `Rename the columns to those sachsong export writes: ${expected}`,
      { unknown, expected: ['id_number', ...columns.keys()] },
    );
  }
  if (!header.includes('id_number')) {
    throw new DomainError('invalid', 'FILE_ID_COLUMN_MISSING', 'the header row has no id_number column', `Add the id_number column; the columns sachsong export writes are: ${expected}`);
  }
}

export interface ImportDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly registry: RegistryService;
}

/**
 * Imports persons taken over from an earlier register. Each batch commits all its valid rows
 * and its bookkeeping row in one transaction, so a killed import leaves whole batches only and
 * a re-run with the same import id skips them.
 */
export class PersonImportService {
  constructor(private readonly deps: ImportDeps) {}

  async run(rows: AsyncIterable<ImportRow> | Iterable<ImportRow>, options: ImportOptions): Promise<ImportReport> {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 100_000) {
      throw new DomainError('invalid', 'BATCH_SIZE_INVALID', 'batch size must be 1 to 100000', 'Choose another --batch-size');
    }
    const done = await importBatchRepository.committedBatches(this.deps.db, options.importId);
    const rejections: RowRejection[] = [];
    let rowsRead = 0;
    let accepted = 0;
    let rejectedNow = 0;
    let acceptedEarlier = 0;
    let rejectedEarlier = 0;
    let batchesSkipped = 0;
    let batchesCommitted = 0;
    let batch: ImportRow[] = [];
    let batchNo = 0;
    const seenInFile = new Set<string>();
    let writing: Promise<void> | undefined;
    const settle = async (): Promise<void> => {
      const current = writing;
      writing = undefined;
      await current;
    };

    // Progress is told once a batch is in the store (committed, or found committed by an earlier
    // run): a report is a promise that those rows survive a crash from then on.
    const flush = async (rowsThrough: number): Promise<void> => {
      if (batch.length === 0) return;
      const current = batch;
      batch = [];
      const no = batchNo++;
      const earlier = done.get(no);
      if (earlier !== undefined) {
        batchesSkipped++;
        // The counts are the ones the batch recorded in its own transaction: what is in the store.
        acceptedEarlier += earlier.rowsAccepted;
        rejectedEarlier += earlier.rowsRejected;
        // Re-validated without writing, so that a resumed run lists the same validation refusals.
        const today = vietnamDay(this.deps.clock.now());
        for (const r of current) {
          const outcome = this.prepare(r, seenInFile, today);
          if ('rejection' in outcome) rejections.push(outcome.rejection);
        }
        options.onProgress?.(rowsThrough);
        return;
      }
      const today = vietnamDay(this.deps.clock.now());
      const persons: PersonRecord[] = [];
      const events: Omit<LifeEvent, 'seq'>[] = [];
      const rowNumbers: number[] = [];
      let rejectedHere = 0;
      for (const r of current) {
        const outcome = this.prepare(r, seenInFile, today);
        if ('rejection' in outcome) {
          rejections.push(outcome.rejection);
          rejectedHere++;
        } else {
          persons.push(outcome.record);
          events.push(outcome.event);
          rowNumbers.push(r.rowNumber);
        }
      }
      // Rows already in the registry: an ID number taken by an earlier batch of this file was
      // refused above as DUPLICATE_IN_FILE, so the batch still being written cannot change this.
      const taken = await importBatchRepository.taken(this.deps.db, persons.map((p) => p.idNumber));
      const fresh = taken.size === 0 ? persons : persons.filter((p, i) => {
        if (!taken.has(p.idNumber)) return true;
        rejections.push({ rowNumber: rowNumbers[i] ?? 0, code: 'ID_NUMBER_TAKEN', field: 'id_number', message: 'this ID number is already in the registry' });
        rejectedHere++;
        return false;
      });
      const freshEvents = fresh === persons ? events : events.filter((e) => !taken.has(e.personId));
      // Each registration's change event, for the outbox (src/events): in the batch's transaction.
      const recordOf = new Map(fresh.map((p) => [p.idNumber, p]));
      const outbox = freshEvents.flatMap((e) => { const record = recordOf.get(e.personId); return record === undefined ? [] : [outboxEntryOf(e, undefined, record)]; });
      // One batch is written while the next is read and checked; they are committed in order.
      await settle();
      const rejectedInBatch = rejectedHere;
      writing = importBatchRepository
        .commit(this.deps.db, fresh, freshEvents, outbox, {
          importId: options.importId,
          batchNo: no,
          rowsAccepted: fresh.length,
          rowsRejected: rejectedInBatch,
          committedAt: this.deps.clock.now().toISOString(),
        })
        .then(() => {
          accepted += fresh.length;
          rejectedNow += rejectedInBatch;
          batchesCommitted++;
          options.onProgress?.(rowsThrough);
        });
      // Handled here; settle() throws the failure before anything else is written.
      writing.catch(() => undefined);
    };

    try {
      for await (const row of rows) {
        rowsRead++;
        batch.push(row);
        if (batch.length >= options.batchSize) await flush(rowsRead);
      }
      await flush(rowsRead);
    } catch (error) {
      // A batch being written finishes (whole or not at all) before the failure is reported.
      await writing?.catch(() => undefined);
      throw error;
    }
    await settle();
    return {
      importId: options.importId,
      rowsRead,
      accepted: accepted + acceptedEarlier,
      rejected: rejectedNow + rejectedEarlier,
      acceptedEarlier,
      rejectedEarlier,
      batchesSkipped,
      batchesCommitted,
      rejections,
    };
  }

  private prepare(row: ImportRow, seenInFile: Set<string>, today: string): { event: Omit<LifeEvent, 'seq'>; record: PersonRecord } | { rejection: RowRejection } {
    if ('error' in row) return { rejection: { rowNumber: row.rowNumber, ...row.error } };
    const idNumber = row.record.id_number ?? '';
    const facts: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row.record)) {
      const key = columns.get(column);
      if (key !== undefined) {
        if (value !== null && value !== '') facts[key] = value;
      } else if (!ignoredColumns.has(column)) {
        // A column name is the file's structure, not personal data.
        return { rejection: { rowNumber: row.rowNumber, code: 'COLUMN_UNKNOWN', field: column, message: `unknown column ${column}` } };
      }
    }
    try {
      const prepared = this.deps.registry.prepareRegistration({
        type: 'registration',
        idNumber,
        occurredOn: today,
        officerId: null,
        reason: 'taken over from an earlier register',
        facts,
      });
      if (seenInFile.has(idNumber)) {
        return { rejection: { rowNumber: row.rowNumber, code: 'DUPLICATE_IN_FILE', field: 'id_number', message: 'this ID number appears earlier in the file' } };
      }
      seenInFile.add(idNumber);
      return prepared;
    } catch (error) {
      if (isDomainError(error)) return { rejection: rejectionOf(row.rowNumber, error) };
      throw error;
    }
  }
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
