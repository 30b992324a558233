import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { DomainError, isDomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { lifeEventRepository } from './life-event.repository.js';
import { personFactColumns } from './person.projection.js';
import { personRepository } from './person.repository.js';
import type { PersonRecord } from './person.types.js';
import type { RegistryService } from './registry.service.js';
import { importBatchRepository } from './import-batch.repository.js';
import type { LifeEvent } from './life-event.types.js';

/** One row of a person file as read: either its fields or why it could not be read. */
export type ImportRow =
  | { readonly rowNumber: number; readonly record: Readonly<Record<string, string | null>> }
  | { readonly rowNumber: number; readonly error: { readonly code: string; readonly message: string } };

export interface RowRejection {
  readonly rowNumber: number;
  readonly code: string;
  readonly message: string;
}

export interface ImportReport {
  readonly importId: string;
  readonly rowsRead: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Batches already committed by an earlier, interrupted run of the same import. */
  readonly batchesSkipped: number;
  readonly batchesCommitted: number;
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
    let batchesSkipped = 0;
    let batchesCommitted = 0;
    let batch: ImportRow[] = [];
    let batchNo = 0;
    const seenInFile = new Set<string>();

    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const current = batch;
      batch = [];
      const no = batchNo++;
      if (done.has(no)) {
        batchesSkipped++;
        // Re-validate for the report without writing, so a resumed run reports the same rejections.
        for (const r of current) {
          const outcome = this.prepare(r, seenInFile);
          if ('rejection' in outcome) rejections.push(outcome.rejection);
          else accepted++;
        }
        return;
      }
      const ready: { event: Omit<LifeEvent, 'seq'>; record: PersonRecord; rowNumber: number }[] = [];
      let rejectedHere = 0;
      for (const r of current) {
        const outcome = this.prepare(r, seenInFile);
        if ('rejection' in outcome) {
          rejections.push(outcome.rejection);
          rejectedHere++;
        } else ready.push({ ...outcome, rowNumber: r.rowNumber });
      }
      const taken = await personRepository.existing(this.deps.db, ready.map((r) => r.record.idNumber));
      const fresh = ready.filter((r) => {
        if (!taken.has(r.record.idNumber)) return true;
        rejections.push({ rowNumber: r.rowNumber, code: 'ID_NUMBER_TAKEN', message: 'this ID number is already in the registry' });
        rejectedHere++;
        return false;
      });
      await this.deps.db.transaction().execute(async (trx) => {
        await personRepository.insertMany(trx, fresh.map((r) => r.record));
        await lifeEventRepository.appendMany(trx, fresh.map((r) => r.event));
        await importBatchRepository.record(trx, {
          importId: options.importId,
          batchNo: no,
          rowsAccepted: fresh.length,
          rowsRejected: rejectedHere,
          committedAt: this.deps.clock.now().toISOString(),
        });
      });
      accepted += fresh.length;
      batchesCommitted++;
    };

    for await (const row of rows) {
      rowsRead++;
      batch.push(row);
      if (batch.length >= options.batchSize) {
        await flush();
        options.onProgress?.(rowsRead);
      }
    }
    await flush();
    options.onProgress?.(rowsRead);
    return { importId: options.importId, rowsRead, accepted, rejected: rejections.length, batchesSkipped, batchesCommitted, rejections };
  }

  private prepare(row: ImportRow, seenInFile: Set<string>): { event: Omit<LifeEvent, 'seq'>; record: PersonRecord } | { rejection: RowRejection } {
    if ('error' in row) return { rejection: { rowNumber: row.rowNumber, ...row.error } };
    const idNumber = row.record.id_number ?? '';
    const facts: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row.record)) {
      const key = columns.get(column);
      if (key !== undefined) {
        if (value !== null && value !== '') facts[key] = value;
      } else if (!ignoredColumns.has(column)) {
        return { rejection: { rowNumber: row.rowNumber, code: 'COLUMN_UNKNOWN', message: `unknown column ${column}` } };
      }
    }
    try {
      const prepared = this.deps.registry.prepareRegistration({
        type: 'registration',
        idNumber,
        occurredOn: this.deps.clock.now().toISOString().slice(0, 10),
        officerId: null,
        reason: 'taken over from an earlier register',
        facts,
      });
      if (seenInFile.has(idNumber)) {
        return { rejection: { rowNumber: row.rowNumber, code: 'DUPLICATE_IN_FILE', message: 'this ID number appears earlier in the file' } };
      }
      seenInFile.add(idNumber);
      return prepared;
    } catch (error) {
      if (isDomainError(error)) return { rejection: { rowNumber: row.rowNumber, code: error.code, message: error.message } };
      throw error;
    }
  }
}
