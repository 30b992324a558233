import type SQLite from 'better-sqlite3';
import type { Executor } from '../registry/person.repository.js';

/**
 * The exchange's change counter (one row, migration 0008). Every change to a member, client,
 * officer, key set or grant bumps it in its own transaction, so any process that cached the
 * directory can tell, with one cheap read, that it must read again.
 */
export const exchangeChangeRepository = {
  /** Bumps the counter; call it inside the transaction that makes the change. */
  async bump(db: Executor): Promise<void> {
    await db.updateTable('exchange_changes').set((eb) => ({ counter: eb('counter', '+', 1) })).where('id', '=', 1).execute();
  },

  /** The counter now (0 when the row is missing: a store not migrated to 0008 has no changes to tell). */
  async read(db: Executor): Promise<number> {
    const row = await db.selectFrom('exchange_changes').select('counter').where('id', '=', 1).executeTakeFirst();
    return row?.counter ?? 0;
  },
};

/** The synchronous read of the counter on a SQLite connection. */
export interface SqliteChangeStatements {
  readonly counter: () => number;
}

/** Prepares the synchronous reads the directory makes once per event-loop turn on SQLite. */
export function sqliteChangeStatements(sqlite: SQLite.Database): SqliteChangeStatements {
  // Prepared at first use: the table exists only once the store is migrated.
  let counter: SQLite.Statement | undefined;
  return {
    counter: () => {
      counter ??= sqlite.prepare('SELECT counter FROM exchange_changes WHERE id = 1').pluck();
      return (counter.get() as number | undefined) ?? 0;
    },
  };
}
