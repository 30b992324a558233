import type { OutboxEntry } from '../events/change-event.js';
import { outboxLockKey, outboxRepository, outboxRowOf } from '../events/outbox.repository.js';
import { driverOf } from '../store/database.js';
import { dropDeferrableIndexes, ensureRegistryIndexes, registryIndexedColumns, type RegistryTable } from '../store/registry-indexes.js';
import { startWalCheckpointer } from '../store/wal-checkpointer.js';
import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { existingPersonIds, writeRegistryRows } from '../store/bulk-writer.js';
import type { DB, LifeEventsTable, PersonsTable } from '../store/database.types.js';
import type { EventOutboxTable } from '../events/events.tables.js';
import type { StagedForm } from './import-stage.js';
import { stagedBatchRows, writeStagedBatch, type StagedBatch } from './import-stage.repository.js';
import { lifeEventRepository, lifeEventRow } from './life-event.repository.js';
import { toPersonRow } from './person.projection.js';
import { personRepository, type Executor } from './person.repository.js';
import type { LifeEvent } from './life-event.types.js';
import type { PersonRecord } from './person.types.js';

export interface ImportBatch {
  readonly importId: string;
  readonly batchNo: number;
  readonly rowsAccepted: number;
  readonly rowsRejected: number;
  readonly committedAt: string;
}

/** Bookkeeping of committed import batches; written in the batch's own transaction. */
export const importBatchRepository = {
  /** The batches an import has committed, by number, with the counts each recorded. */
  async committedBatches(db: Executor, importId: string): Promise<ReadonlyMap<number, { readonly rowsAccepted: number; readonly rowsRejected: number }>> {
    const rows = await db.selectFrom('import_batches').select(['batch_no', 'rows_accepted', 'rows_rejected']).where('import_id', '=', importId).execute();
    return new Map(rows.map((r) => [r.batch_no, { rowsAccepted: r.rows_accepted, rowsRejected: r.rows_rejected }]));
  },

  async record(db: Executor, b: ImportBatch): Promise<void> {
    await db
      .insertInto('import_batches')
      .values({ import_id: b.importId, batch_no: b.batchNo, rows_accepted: b.rowsAccepted, rows_rejected: b.rowsRejected, committed_at: b.committedAt })
      .execute();
  },

  /**
   * Readies the store for an import's stream of batches and returns what undoes it:
   * - into an empty registry, the non-unique registry indexes are dropped and built once at the
   *   end (store/registry-indexes.ts);
   * - on a SQLite file, the WAL is checkpointed from a thread of its own meanwhile: the commit that
   *   crosses SQLite's threshold would otherwise copy the WAL back and wait for the disk's sync.
   */
  async beginImport(db: Executor): Promise<() => Promise<void>> {
    // A transaction is a Kysely too.
    const store: Kysely<DB> = db;
    // Only into an empty registry: rebuilding costs the whole table, and a registry in use needs them.
    const empty = (await store.selectFrom('persons').select('id_number').limit(1).executeTakeFirst()) === undefined
      && (await store.selectFrom('life_events').select('seq').limit(1).executeTakeFirst()) === undefined;
    if (empty) await dropDeferrableIndexes(store);
    const drivers = driverOf(db);
    const rebuild = async (): Promise<void> => {
      if (!empty) return;
      if (drivers?.pool === undefined) {
        await ensureRegistryIndexes(store);
        return;
      }
      // Each table on a connection of its own, side by side: two server processes, two cores.
      // Then the indexed columns' statistics only, for the first queries' plans: every column
      // took 0.66 s after 100,000 rows (the sample is 30,000 rows whatever the table's size, each
      // column sorted by the database's collation). An ANALYZE given columns leaves the table's
      // count of changes as it was, so autovacuum's own ANALYZE of every column follows.
      await Promise.all((Object.keys(registryIndexedColumns) as RegistryTable[]).map(async (table) => {
        await ensureRegistryIndexes(store, table);
        await sql.raw(`ANALYZE ${table} (${registryIndexedColumns[table].join(', ')})`).execute(db);
      }));
    };
    const sqlite = drivers?.sqlite;
    if (sqlite === undefined || sqlite.memory) return rebuild;
    const threshold = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
    // Still a backstop, should the thread fall behind.
    sqlite.pragma('wal_autocheckpoint = 10000');
    // At the import's own priority: both cores are busy, and a checkpointer left behind lets the writer's threshold make it wait again.
    const checkpointer = startWalCheckpointer(sqlite.name, 250, { background: false });
    return async () => {
      await checkpointer.stop();
      sqlite.pragma(`wal_autocheckpoint = ${threshold}`);
      await rebuild();
    };
  },

  /** The form an import's rows are best written in to this store: COPY texts for PostgreSQL, staged lines otherwise. */
  rowForm(db: Executor): StagedForm {
    return driverOf(db)?.pool === undefined ? 'staged' : 'copy';
  },

  /** Which of these ID numbers are in the registry: one statement for a whole batch. */
  async taken(db: Executor, idNumbers: readonly string[]): Promise<ReadonlySet<string>> {
    return (await existingPersonIds(driverOf(db), idNumbers)) ?? personRepository.existing(db, idNumbers);
  },

  /**
   * Commits a batch: its persons, their registration events, their change events and its bookkeeping row, all or
   * nothing. Through the driver (prepared multi-row INSERTs on SQLite, COPY on PostgreSQL) when
   * `db` is a store handle; through Kysely in one transaction otherwise.
   */
  async commit(db: Executor, persons: readonly PersonRecord[], events: readonly Omit<LifeEvent, 'seq'>[], outbox: readonly OutboxEntry[], b: ImportBatch): Promise<void> {
    const written = await writeRegistryRows(
      driverOf(db),
      {
        persons: persons.map(toPersonRow),
        events: events.map((e) => ({ ...lifeEventRow(e), officer_id: e.officerId, reason: e.reason })),
        outbox: { rows: outbox.map(outboxRowOf), lockKey: outboxLockKey },
      },
      {
        table: 'import_batches',
        values: { import_id: b.importId, batch_no: b.batchNo, rows_accepted: b.rowsAccepted, rows_rejected: b.rowsRejected, committed_at: b.committedAt },
      },
    );
    if (written) return;
    await db.transaction().execute(async (trx) => {
      await personRepository.insertMany(trx, persons);
      await lifeEventRepository.appendMany(trx, events);
      await importBatchRepository.record(trx, b);
      // Last: on PostgreSQL it takes the outbox's lock, held only until the commit.
      await outboxRepository.append(trx, outbox);
    });
  },

  /**
   * commit() for an import's staged rows (import-stage.ts): persons, their registration events
   * and change events, built by the store from the staged lines, and the bookkeeping row, all or
   * nothing. A row the store refuses is thrown as a StoreRowRefusedError naming its index.
   */
  async commitStaged(db: Executor, batch: StagedBatch, b: ImportBatch): Promise<void> {
    const bookkeeping = {
      table: 'import_batches',
      values: { import_id: b.importId, batch_no: b.batchNo, rows_accepted: b.rowsAccepted, rows_rejected: b.rowsRejected, committed_at: b.committedAt },
    };
    if (await writeStagedBatch(driverOf(db), batch, bookkeeping, outboxLockKey)) return;
    // Not a store handle (a transaction already open): the same rows through Kysely, in the caller's transaction.
    const rows = stagedBatchRows(batch);
    const write = async (trx: Executor): Promise<void> => {
      // Few parameters a statement: under SQLite's and PostgreSQL's limits.
      for (let i = 0; i < rows.persons.length; i += 500) await trx.insertInto('persons').values(rows.persons.slice(i, i + 500) as unknown as PersonsTable[]).execute();
      for (let i = 0; i < rows.events.length; i += 500) await trx.insertInto('life_events').values(rows.events.slice(i, i + 500) as Omit<LifeEventsTable, 'seq'>[]).execute();
      await importBatchRepository.record(trx, b);
      if (rows.outbox.length > 0 && trx.getExecutor().adapter instanceof PostgresAdapter) {
        await sql`SELECT pg_advisory_xact_lock(${outboxLockKey})`.execute(trx);
      }
      for (let i = 0; i < rows.outbox.length; i += 500) await trx.insertInto('event_outbox').values(rows.outbox.slice(i, i + 500) as Omit<EventOutboxTable, 'seq'>[]).execute();
    };
    if (db.isTransaction) await write(db);
    else await db.transaction().execute(write);
  },
};
