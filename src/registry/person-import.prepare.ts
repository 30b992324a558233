/**
 * The CPU side of an import, without a store: each row checked as a registration is, and the
 * accepted ones staged (import-stage.ts) for the store to build the persons, their registration
 * events and their change events from. Runs in the import's worker thread (person-import.worker.ts) while the parent
 * writes the batch before; the same code runs in-thread for rows given as an iterable.
 */
import { randomUUID } from 'node:crypto';
import { provinceOf } from '../events/change-event.js';
import { isDomainError, type DomainError } from '../shared/domain-error.js';
import type { IdNumberSet } from './id-number.set.js';
import { CopyRowsBuilder, StagedRowsBuilder, type CopyTexts, type StagedForm } from './import-stage.js';
import { rejectionMessage } from './import-rejection.messages.js';
import { vietnamDay } from './partial-date.js';
import { nameFoldedOf, personFactColumns } from './person.projection.js';
import { personFactKeys, type PersonFacts } from './person.types.js';
import { checkRecording, checkRegistrationFacts, type RegistrationMoment } from './registration.prepare.js';

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
  /** The refusals of validation, in row order (a repeated ID number is found by the caller: see findRepeatedIds). */
  readonly rejections: readonly RowRejection[];
  /**
   * ID numbers of the rows validation accepted, in row order: row i of each packed table is about
   * ids[i]. Given also when the batch is not packed, so that later batches are checked against them.
   */
  readonly ids: readonly string[];
  readonly rowNumbers: Int32Array;
  /** The line of the file each accepted row starts on; 0 when the rows came without lines. */
  readonly lines: Int32Array;
  /**
   * The accepted rows as staged lines (import-stage.ts), row i about ids[i]: the store builds each
   * person, its registration event and its change event from them. Empty when the batch is not packed.
   */
  readonly staged: string;
  /** The accepted rows as the three tables' COPY texts instead, when the preparer's form is 'copy'. */
  readonly copy?: CopyTexts;
  /** When the batch was checked: its events' day in Viet Nam (vietnamDay) and time (ISO 8601). */
  readonly today: string;
  readonly recordedAt: string;
}

/** Columns of a person file, the snake_case names that `sachsong export` writes, to the facts they hold. */
export const importColumns: ReadonlyMap<string, string> = new Map(Object.entries(personFactColumns).map(([fact, column]) => [column, fact]));
export const ignoredImportColumns: ReadonlySet<string> = new Set(['id_number', 'version', 'created_at', 'updated_at', 'name_folded']);

/** The reason an import's registration events record. */
export const importReason = 'taken over from an earlier register';
const reason = importReason;

interface BatchInProgress {
  readonly at: RegistrationMoment;
  readonly pack: boolean;
  rows: number;
  readonly rejections: RowRejection[];
  readonly ids: string[];
  readonly rowNumbers: number[];
  readonly lines: number[];
  readonly staged: StagedRowsBuilder | CopyRowsBuilder;
}

/**
 * Checks and packs batches of rows, each row alone: the rows of one file may be checked by several
 * preparers, each in its own thread, and a row repeating an ID number of an earlier one is found
 * afterwards, in file order (findRepeatedIds).
 *
 * @example
 * const preparer = new ImportBatchPreparer({ officerId: null });
 * const batch = preparer.prepare(rows, new Date(), true);
 */
export class ImportBatchPreparer {
  private readonly officerId: string | null;
  private readonly newId: () => string;
  private readonly form: StagedForm;

  /** `form`: staged lines (default; for SQLite) or the tables' COPY texts (for PostgreSQL). */
  constructor(options: { readonly officerId: string | null; readonly newId?: () => string; readonly form?: StagedForm }) {
    this.officerId = options.officerId;
    this.newId = options.newId ?? randomUUID;
    this.form = options.form ?? 'staged';
  }

  private batch: BatchInProgress | undefined;

  /**
   * Checks `rows` as of `now`. With `pack` false (a batch an earlier run committed) only the
   * refusals are worked out, so that a resumed run lists the same ones.
   */
  prepare(rows: readonly ImportRow[], now: Date, pack: boolean): PreparedBatch {
    this.begin(now, pack);
    for (const row of rows) this.add(row);
    return this.finish();
  }

  /**
   * Starts a batch checked as of `now`, for rows given one by one to add() as they are read:
   * each row's own objects are garbage as soon as it is packed (and die young), instead of a
   * whole batch of them outliving collections until the batch is packed.
   */
  begin(now: Date, pack: boolean): void {
    const today = vietnamDay(now);
    // The same for every row: the day, officer and reason recorded.
    checkRecording({ occurredOn: today, officerId: this.officerId, reason }, today);
    const recordedAt = now.toISOString();
    this.batch = {
      at: { now, today, recordedAt, newId: this.newId },
      pack,
      rows: 0,
      rejections: [],
      ids: [],
      rowNumbers: [],
      lines: [],
      staged: this.form === 'copy' ? new CopyRowsBuilder({ today, recordedAt, officerId: this.officerId, reason }) : new StagedRowsBuilder(),
    };
  }

  /** Checks one row of the batch begun and packs it when it is accepted. */
  add(row: ImportRow): void {
    const batch = this.batch;
    if (batch === undefined) throw new Error('no import batch begun');
    const { at, staged } = batch;
    batch.rows++;
    const outcome = this.check(row, at);
    if ('rejection' in outcome) {
      batch.rejections.push(outcome.rejection);
      return;
    }
    const { idNumber, facts } = outcome;
    batch.ids.push(idNumber);
    batch.rowNumbers.push(row.rowNumber);
    batch.lines.push('record' in row ? (row.line ?? 0) : 0);
    if (!batch.pack) return;
    const f = facts as unknown as Readonly<Record<string, string | null>>;
    // stagedColumns order: the person's columns as toPersonRow gives them, the event's id, the provinces.
    staged.value(idNumber);
    staged.value(facts.fullName);
    staged.value(nameFoldedOf(facts.fullName));
    for (let k = 1; k < personFactKeys.length; k++) staged.value(f[personFactKeys[k] as string]);
    staged.value(this.newId());
    const province = provinceOf(f.permanentCommune ?? f.currentCommune ?? null);
    staged.value(province === null ? '[]' : JSON.stringify([province]));
    staged.endRow();
  }

  /** The batch begun, checked and packed. */
  finish(): PreparedBatch {
    const batch = this.batch;
    if (batch === undefined) throw new Error('no import batch begun');
    this.batch = undefined;
    return {
      rows: batch.rows,
      rejections: batch.rejections,
      ids: batch.ids,
      rowNumbers: Int32Array.from(batch.rowNumbers),
      lines: Int32Array.from(batch.lines),
      ...(batch.staged instanceof CopyRowsBuilder ? { staged: '', copy: batch.staged.finish() } : { staged: batch.staged.finish() }),
      today: batch.at.today,
      recordedAt: batch.at.recordedAt,
    };
  }

  private check(row: ImportRow, at: RegistrationMoment): { readonly idNumber: string; readonly facts: PersonFacts } | { readonly rejection: RowRejection } {
    if ('error' in row) return { rejection: { rowNumber: row.rowNumber, ...row.error } };
    const idNumber = row.record.id_number ?? '';
    const input: Record<string, unknown> = {};
    for (const column in row.record) {
      const value = row.record[column];
      const key = importColumns.get(column);
      if (key !== undefined) {
        if (value !== null && value !== undefined && value !== '') input[key] = value;
      } else if (!ignoredImportColumns.has(column)) {
        // A column name is the file's structure, not personal data.
        return { rejection: { rowNumber: row.rowNumber, code: 'COLUMN_UNKNOWN', field: column, message: `unknown column ${column}` } };
      }
    }
    try {
      const facts = checkRegistrationFacts({ type: 'registration', idNumber, occurredOn: at.today, officerId: this.officerId, reason, facts: input }, at);
      return { idNumber, facts };
    } catch (error) {
      if (isDomainError(error)) return { rejection: rejectionOf(row.rowNumber, error) };
      throw error;
    }
  }
}

/**
 * Refuses as DUPLICATE_IN_FILE the accepted rows of a batch whose ID number an earlier accepted
 * row of the file has (`seen`, which this adds the batch's others to): the rows' indexes in the
 * batch's ids, and their refusals.
 */
export function findRepeatedIds(batch: Pick<PreparedBatch, 'ids' | 'rowNumbers'>, seen: IdNumberSet): { readonly repeated: ReadonlySet<number>; readonly rejections: readonly RowRejection[] } {
  const repeated = new Set<number>();
  const rejections: RowRejection[] = [];
  for (let i = 0; i < batch.ids.length; i++) {
    const id = batch.ids[i] ?? '';
    if (!seen.add(id)) {
      repeated.add(i);
      rejections.push({ rowNumber: batch.rowNumbers[i] ?? 0, code: 'DUPLICATE_IN_FILE', field: 'id_number', message: rejectionMessage('DUPLICATE_IN_FILE', 'en') });
    }
  }
  return { repeated, rejections };
}

/** Columns by the fact names that validation errors carry. */
const columnOf: ReadonlyMap<string, string> = new Map<string, string>([...Object.entries(personFactColumns), ['idNumber', 'id_number']]);

function rejectionOf(rowNumber: number, error: DomainError): RowRejection {
  const fact = error.details?.field;
  const field = typeof fact === 'string' ? (columnOf.get(fact) ?? fact) : error.code.startsWith('ID_') ? 'id_number' : undefined;
  // The validators' own messages may quote the value (an ID number, a date, a commune code): only
  // the code's fixed message goes into the report.
  const message = rejectionMessage(error.code, 'en');
  return { rowNumber, code: error.code, ...(field === undefined ? {} : { field }), message };
}
