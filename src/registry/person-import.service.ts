import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { StoreRowRefusedError } from '../store/packed-rows.js';
import { IdNumberSet } from './id-number.set.js';
import { filterCopyRows, filterStagedRows } from './import-stage.js';
import { checkFreeText } from './free-text.js';
import { importBatchRepository } from './import-batch.repository.js';
import type { PersonFileFormat } from './person-file.reader.js';
import { findRepeatedIds, ignoredImportColumns, importColumns, importReason, type ImportRow, type RowRejection } from './person-import.prepare.js';
import { rejectionMessage } from './import-rejection.messages.js';
import type { RegistryService } from './registry.service.js';
import { fileBatchesInWorker, rowBatches, type BatchPlan, type BatchSource, type SourcedBatch } from './person-import.source.js';

export type { ImportRow, RowRejection } from './person-import.prepare.js';

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

const columns = importColumns;
const ignoredColumns = ignoredImportColumns;

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
  /** Event ids for rows checked in this thread (default random UUIDs); a file read in a worker gets UUIDv7 ids. */
  readonly newId?: () => string;
  /**
   * Not used: rows are checked as the registry checks a registration (prepareRegistrationAt),
   * without a store. Accepted so that callers written before still compile.
   */
  readonly registry?: RegistryService;
}

/** How to read a file for PersonImportService.runFile. */
export interface ImportFileOptions {
  readonly format?: PersonFileFormat;
  /** Convert TCVN3, VNI and Windows-1258 files (default true). */
  readonly allowLegacy?: boolean;
  /** Worker threads checking batches side by side (default 1): each reads the whole file, so a second one pays only with a core to spare. */
  readonly checkers?: number;
}

/**
 * Imports persons taken over from an earlier register. Each batch commits all its valid rows,
 * their events and change events and its bookkeeping row in one transaction, so a killed import
 * leaves whole batches only and a re-run with the same import id skips them.
 */
export class PersonImportService {
  constructor(private readonly deps: ImportDeps) {}

  /** Imports rows given as an iterable, checked in this thread. */
  async run(rows: AsyncIterable<ImportRow> | Iterable<ImportRow>, options: ImportOptions): Promise<ImportReport> {
    checkOptions(options);
    const form = importBatchRepository.rowForm(this.deps.db);
    return this.runBatches((plan) => rowBatches(rows, options.batchSize, options.officerId, plan, form, this.deps.newId), options);
  }

  /**
   * Imports a person file, read and checked in a worker thread one batch ahead of the batch being
   * written. The file is opened (encoding, header) by the caller first, with readPersonFile, so
   * that a file that cannot be read fails before anything starts.
   */
  async runFile(file: string, read: ImportFileOptions, options: ImportOptions): Promise<ImportReport> {
    checkOptions(options);
    const { checkers = 1, ...reading } = read;
    const form = importBatchRepository.rowForm(this.deps.db);
    return this.runBatches((plan) => fileBatchesInWorker({ file, read: reading, batchSize: options.batchSize, officerId: options.officerId, form }, plan, checkers), options);
  }

  private async runBatches(sourceOf: (plan: BatchPlan) => BatchSource, options: ImportOptions): Promise<ImportReport> {
    const { db, clock } = this.deps;
    const rejections: RowRejection[] = [];
    const totals = { rowsRead: 0, accepted: 0, rejectedNow: 0, acceptedEarlier: 0, rejectedEarlier: 0, batchesSkipped: 0, batchesCommitted: 0 };
    const report = (): ImportReport => ({
      importId: options.importId,
      rowsRead: totals.rowsRead,
      accepted: totals.accepted + totals.acceptedEarlier,
      rejected: totals.rejectedNow + totals.rejectedEarlier,
      acceptedEarlier: totals.acceptedEarlier,
      rejectedEarlier: totals.rejectedEarlier,
      batchesSkipped: totals.batchesSkipped,
      batchesCommitted: totals.batchesCommitted,
      rejections,
    });
    const done = await importBatchRepository.committedBatches(db, options.importId);
    const endImport = await importBatchRepository.beginImport(db);
    let source: BatchSource;
    try {
      source = sourceOf({ now: () => clock.now(), pack: (no) => !done.has(no) });
    } catch (error) {
      await endImport();
      throw error;
    }
    // ID numbers of the rows accepted so far, in file order: a later row with one is refused.
    const seen = new IdNumberSet();
    try {
      let pending = source.next();
      for (let no = 0; ; no++) {
        const batch = await pending;
        if (batch === undefined) break;
        // The next batches are read and checked (in the worker threads, for a file) while this one is written.
        pending = source.next();
        // Handled here; awaited above on the next turn, after this batch is whole or not at all.
        pending.catch(() => undefined);
        totals.rowsRead = batch.rowsThrough;
        const repeated = findRepeatedIds(batch, seen);
        rejections.push(...inRowOrder(batch.rejections, repeated.rejections));
        const earlier = done.get(no);
        if (earlier !== undefined) {
          totals.batchesSkipped++;
          // The counts are the ones the batch recorded in its own transaction: what is in the store.
          totals.acceptedEarlier += earlier.rowsAccepted;
          totals.rejectedEarlier += earlier.rowsRejected;
          options.onProgress?.(batch.rowsThrough);
          continue;
        }
        const written = await this.commit(batch, repeated.repeated, no, options, rejections, report);
        totals.accepted += written.accepted;
        totals.rejectedNow += written.rejected;
        totals.batchesCommitted++;
        // Told once the batch is in the store: a report is a promise that those rows survive a crash from then on.
        options.onProgress?.(batch.rowsThrough);
      }
    } finally {
      await source.close().catch(() => undefined);
      await endImport();
    }
    return report();
  }

  /** Writes one batch: its accepted rows less those already in the registry, and its bookkeeping row. */
  private async commit(
    batch: SourcedBatch, repeated: ReadonlySet<number>, no: number, options: ImportOptions, rejections: RowRejection[], report: () => ImportReport,
  ): Promise<{ accepted: number; rejected: number }> {
    const { db, clock } = this.deps;
    let rejected = batch.rejections.length + repeated.size;
    let { ids, staged, copy, rowNumbers, lines } = batch;
    // Rows already in the registry: an ID number taken by an earlier batch of this file was
    // refused as DUPLICATE_IN_FILE, so the batch still being written cannot change this.
    const taken = await importBatchRepository.taken(db, repeated.size === 0 ? ids : ids.filter((_, i) => !repeated.has(i)));
    if (taken.size > 0 || repeated.size > 0) {
      const keep = ids.map((id, i) => !repeated.has(i) && !taken.has(id));
      for (const [i, id] of ids.entries()) {
        if (repeated.has(i) || !taken.has(id)) continue;
        rejections.push({ rowNumber: rowNumbers[i] ?? 0, code: 'ID_NUMBER_TAKEN', field: 'id_number', message: rejectionMessage('ID_NUMBER_TAKEN', 'en') });
        rejected++;
      }
      const kept = (r: number): boolean => keep[r] === true;
      staged = filterStagedRows(staged, kept);
      if (copy !== undefined) copy = { persons: filterCopyRows(copy.persons, kept), events: filterCopyRows(copy.events, kept), outbox: filterCopyRows(copy.outbox, kept) };
      rowNumbers = rowNumbers.filter((_, r) => kept(r));
      lines = lines.filter((_, r) => kept(r));
      ids = ids.filter((_, r) => kept(r));
    }
    try {
      await importBatchRepository.commitStaged(db, { staged, ...(copy === undefined ? {} : { copy }), today: batch.today, recordedAt: batch.recordedAt, officerId: options.officerId, reason: importReason }, {
        importId: options.importId,
        batchNo: no,
        rowsAccepted: ids.length,
        rowsRejected: rejected,
        committedAt: clock.now().toISOString(),
      });
    } catch (error) {
      if (!(error instanceof StoreRowRefusedError)) throw error;
      const first = batch.rowsThrough - batch.rows + 1;
      const at = error.row === undefined ? undefined : { rowNumber: rowNumbers[error.row] ?? 0, line: lines[error.row] ?? 0 };
      const where = at === undefined ? `its bookkeeping row (${error.reason})` : `row ${at.rowNumber}${at.line > 0 ? ` (line ${at.line} of the file)` : ''}: ${error.reason}`;
      const { importId, rowsRead, accepted, rejected: refused, acceptedEarlier, rejectedEarlier, batchesSkipped, batchesCommitted } = report();
      const counts = { importId, rowsRead, accepted, rejected: refused, acceptedEarlier, rejectedEarlier, batchesSkipped, batchesCommitted };
      throw new DomainError(
        'conflict', 'IMPORT_BATCH_REFUSED',
        `batch ${no + 1} (rows ${first}–${batch.rowsThrough}) was not written, none of it: the store refused ${where}. The batches before it are in the registry`,
        'Find out why the store refused that row (the constraint or trigger named); once resolved, run the same command again: the batches already in are skipped',
        { batchNo: no, firstRow: first, lastRow: batch.rowsThrough, ...(at ?? {}), table: error.table, reason: error.reason, report: counts },
      );
    }
    return { accepted: ids.length, rejected };
  }
}

/** Two lists of refusals, each in row order, as one in row order. */
function inRowOrder(a: readonly RowRejection[], b: readonly RowRejection[]): RowRejection[] {
  if (b.length === 0) return [...a];
  return [...a, ...b].sort((x, y) => x.rowNumber - y.rowNumber);
}

function checkOptions(options: ImportOptions): void {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 100_000) {
    throw new DomainError('invalid', 'BATCH_SIZE_INVALID', 'batch size must be 1 to 100000', 'Choose another --batch-size');
  }
  // Checked once here rather than as every row's refusal.
  if (options.officerId !== null) checkFreeText(options.officerId, 'officerId');
}
